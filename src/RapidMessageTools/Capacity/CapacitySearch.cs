using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Load;
using RapidMessageTools.Logging;
using RapidMessageTools.Results;
using RapidMessageTools.Scenarios;

namespace RapidMessageTools.Capacity;

/// <summary>How a capacity search runs: the scenario and its load, the limits a step must hold, how it grows and narrows.</summary>
public sealed class CapacitySearchOptions
{
    /// <summary>Benchmark or MultiUser (a scenario that sends at an arrival rate).</summary>
    public string Scenario { get; set; } = "Benchmark";

    /// <summary>The first rate tried, msg/s.</summary>
    public double StartRate { get; set; } = 100;

    /// <summary>The search never tries above this, msg/s.</summary>
    public double MaxRate { get; set; } = 1_000_000;

    /// <summary>Each held step multiplies the rate by this while nothing has broken.</summary>
    public double Growth { get; set; } = 2;

    /// <summary>Narrowing stops when held and broken rates are this close (a share of the broken rate).</summary>
    public double Precision { get; set; } = 0.05;

    /// <summary>Seconds each step sends for.</summary>
    public double StepDuration { get; set; } = 10;

    public int MaxSteps { get; set; } = 20;

    /// <summary>Connections (Benchmark) or users (MultiUser); 0 = the scenario's default.</summary>
    public int Connections { get; set; }

    public RapidArrival Arrival { get; set; }

    public int Seed { get; set; }

    /// <summary>Seconds to wait for a step's replies; 0 = four times MaxLatency, at least 2 s.</summary>
    public double TimeoutSec { get; set; }

    /// <summary>Seconds per timeline entry of each step's result.</summary>
    public double TimelineInterval { get; set; } = 1;

    /// <summary>Latency limit (MaxLatency at LatencyPercentile) and MinDeliveryRatio; other limits do not apply.</summary>
    public RapidThresholds Limits { get; set; } = new();

    /// <summary>Seconds of an unjudged first step at the start rate (connections, JIT, thread pool warm up); 0 for none.</summary>
    public double WarmUp { get; set; } = 1;

    /// <summary>
    /// A step that broke the latency limit in its tail only (its median within the limit), or that the generator fell
    /// behind in, runs once more, and counts as broken only when it breaks again: one stall of a busy machine does not
    /// end the search, while a rate past capacity, whose queues grow, or past what the client can send, breaks again.
    /// </summary>
    public bool RepeatPossibleStalls { get; set; } = true;

    /// <summary>A step whose share of late sends is above this fell behind on the generator's side.</summary>
    public double MaxLateShare { get; set; } = 0.25;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range and what to give instead.</summary>
    public void Validate()
    {
        if (!ScenarioRegistry.TryGet(Scenario, out var scenario) || scenario is not IStagedScenario)
        {
            throw new ArgumentException($"A capacity search raises an arrival rate: -Scenario takes {string.Join(" or ", ScenarioRegistry.Scenarios.OfType<IStagedScenario>().Select(s => ((IRapidScenario)s).Name))}, not '{Scenario}'.");
        }

        if (!(StartRate > 0) || !(MaxRate >= StartRate))
        {
            throw new ArgumentException(FormattableString.Invariant($"-StartRate ({StartRate}) must be above 0 and at most -MaxRate ({MaxRate})."));
        }

        if (!(Growth > 1))
        {
            throw new ArgumentException(FormattableString.Invariant($"-Growth ({Growth}) must be above 1, e.g. 2 to double the rate each step."));
        }

        if (!(Precision > 0) || Precision > 0.5)
        {
            throw new ArgumentException(FormattableString.Invariant($"-Precision ({Precision}) is a share between 0 and 0.5, e.g. 0.05 to stop when held and broken rates are within 5 %."));
        }

        Limits.Validate();
    }
}

/// <summary>Live figures for progress while a capacity search runs.</summary>
public sealed class CapacityProgress
{
    private ScenarioProgress? _step;

    public int Step { get; internal set; }

    public double Rate { get; internal set; }

    public string Phase { get; internal set; } = "starting";

    public double HighestHeld { get; internal set; }

    public double? LowestBroken { get; internal set; }

    /// <summary>The running step's own progress.</summary>
    public ScenarioProgress? StepProgress
    {
        get => Volatile.Read(ref _step);
        internal set => Volatile.Write(ref _step, value);
    }
}

/// <summary>
/// Raises the arrival rate step by step — growing until a limit breaks, then bisecting between the highest rate
/// that held and the lowest that broke — and reports both, why, and every step. A step where this client fell
/// behind its own schedule while the backend held ends the search as generator-limited: the backend is not
/// blamed for what the client could not send.
/// </summary>
public static class CapacitySearch
{
    /// <param name="newContext">Makes the context of one step from its parameters and limits (URL, token, log: the caller's).</param>
    public static async Task<RapidCapacityResult> RunAsync(
        CapacitySearchOptions options,
        Func<RapidScenarioParameters, RapidThresholds, ScenarioContext> newContext,
        CapacityProgress progress,
        IRunLog log,
        CancellationToken cancellationToken)
    {
        if (options is null || newContext is null || progress is null || log is null)
        {
            throw new ArgumentNullException(options is null ? nameof(options) : newContext is null ? nameof(newContext) : progress is null ? nameof(progress) : nameof(log));
        }

        options.Validate();
        ScenarioRegistry.TryGet(options.Scenario, out var scenario);
        var clock = Stopwatch.StartNew();
        var result = new RapidCapacityResult
        {
            Scenario = scenario.Name,
            StartTime = DateTime.UtcNow,
            Limits = Limits(options),
            StepDuration = options.StepDuration,
            Arrival = options.Arrival,
        };
        var search = new Search(options.StartRate);
        async Task<RapidCapacityStep> Step(double rate, double seconds, string phase, int number)
        {
            var step = await RunStepAsync(scenario, options, rate, seconds, newContext, progress, cancellationToken).ConfigureAwait(false);
            step.Step = number;
            step.Phase = phase;
            search.Steps.Add(step);
            Narrate(log, options, step);
            return step;
        }

        if (options.WarmUp > 0)
        {
            progress.Phase = "warm-up";
            progress.Rate = search.Rate;
            await Step(search.Rate, options.WarmUp, "warm-up", 0).ConfigureAwait(false);
        }

        for (var judged = 1; judged <= options.MaxSteps; judged++)
        {
            var phase = search.Broken is null ? "grow" : "narrow";
            progress.Step = judged;
            progress.Rate = search.Rate;
            progress.Phase = phase;
            var step = await Step(search.Rate, options.StepDuration, phase, judged).ConfigureAwait(false);
            if (options.RepeatPossibleStalls && MayBeStall(step, options))
            {
                // One stall on a busy machine is not a limit: a rate past the backend's breaks again.
                step = await Step(search.Rate, options.StepDuration, phase + " (repeat)", judged).ConfigureAwait(false);
            }

            result.Connections = step.Result?.Parameters.Connections ?? result.Connections;
            if (!search.Take(step, options, progress))
            {
                break;
            }
        }

        result.GeneratorLimited = search.Broken?.BrokenBy == CapacityLimit.Generator;
        result.Steps = search.Steps.ToArray();
        result.HighestHeldRate = search.Held;
        result.FirstBrokenRate = search.Broken?.Rate;
        result.BrokenBy = search.Broken?.BrokenBy ?? CapacityLimit.None;
        result.Reason = Reason(result, search.Broken, options);
        result.Url = search.Steps.FirstOrDefault()?.Result?.Url ?? string.Empty;
        result.Protocol = search.Steps.FirstOrDefault()?.Result?.Protocol ?? result.Protocol;
        result.Machine = search.Steps.FirstOrDefault()?.Result?.Machine ?? string.Empty;
        result.Duration = Math.Round(clock.Elapsed.TotalSeconds, 3);
        progress.Phase = "done";
        return result;
    }

    /// <summary>Where the search stands: the highest rate held, the lowest broken step, the next rate to try, the steps so far.</summary>
    private sealed class Search(double startRate)
    {
        public List<RapidCapacityStep> Steps { get; } = [];

        public double Held { get; private set; }

        public RapidCapacityStep? Broken { get; private set; }

        public double Rate { get; private set; } = startRate;

        /// <summary>
        /// Takes a judged step and chooses the next rate: grow by the growth factor until a step breaks, then bisect
        /// between the highest held and the lowest broken until they are within the precision. False when the search
        /// is over (the generator is the limit, the maximum rate held, or the bracket is narrow enough).
        /// </summary>
        public bool Take(RapidCapacityStep step, CapacitySearchOptions options, CapacityProgress progress)
        {
            if (step.BrokenBy == CapacityLimit.Generator)
            {
                Broken = step;
                return false;
            }

            if (step.Held)
            {
                Held = Math.Max(Held, Rate);
                progress.HighestHeld = Held;
            }
            else if (Broken is null || Rate < Broken.Rate)
            {
                Broken = step;
                progress.LowestBroken = Rate;
            }

            if (Broken is null)
            {
                if (Rate >= options.MaxRate)
                {
                    return false;
                }

                Rate = Round(Math.Min(Rate * options.Growth, options.MaxRate));
                return true;
            }

            if (Broken.Rate - Held <= options.Precision * Broken.Rate || Broken.Rate < 1)
            {
                return false;
            }

            var next = Round((Held + Broken.Rate) / 2);
            if (next <= Held || next >= Broken.Rate)
            {
                return false;
            }

            Rate = next;
            return true;
        }
    }

    /// <summary>A break one stall of a busy machine can cause: the latency limit broken in the tail only (the median within it), or the generator late.</summary>
    private static bool MayBeStall(RapidCapacityStep step, CapacitySearchOptions options) =>
        step.BrokenBy == CapacityLimit.Generator
        || (step.BrokenBy == CapacityLimit.Latency && step.Result is { } r && r.Latency.P50 / 1000.0 <= options.Limits.MaxLatency);

    private static void Narrate(IRunLog log, CapacitySearchOptions options, RapidCapacityStep step) =>
        log.Verbose(FormattableString.Invariant(
            $"Step {step.Step} ({step.Phase}) at {step.Rate} msg/s: {(step.Held ? "held" : "broke: " + step.Reason)} (p{options.Limits.LatencyPercentile} {step.LatencyMs} ms, {step.ThroughputPerSec} msg/s delivered, {step.Rejected} rejected, {step.Lost} lost, {step.LateSends} late sends)."));

    /// <summary>Judges one step: which limit, if any, the measured figures broke. The backend is judged before the generator.</summary>
    internal static (CapacityLimit Limit, string Reason) Judge(RapidScenarioResult r, double rate, RapidThresholds limits, double maxLateShare)
    {
        var percentile = limits.LatencyPercentile;
        var p = "p" + percentile.ToString(CultureInfo.InvariantCulture);
        var late = r.Sent == 0 ? 0 : (double)r.LateSends / r.Sent;
        var behind = late > maxLateShare;

        // When the client fell behind, latency from the intended send includes its own lateness: judge the backend by the time from the actual send.
        var latency = (behind ? r.ServiceLatency : r.Latency).AtPercentile(percentile) / 1000.0;
        if (r.Rejected > 0)
        {
            return (CapacityLimit.Rejections, FormattableString.Invariant($"the backend refused {r.Rejected} of {r.Sent} messages at {rate} msg/s (queue_full or another error)"));
        }

        if (r.Lost > 0 || r.DeliveryRatio < limits.MinDeliveryRatio)
        {
            return (CapacityLimit.Delivery, FormattableString.Invariant($"{r.Lost} of {r.Sent} messages got no answer within the timeout at {rate} msg/s (delivery ratio {r.DeliveryRatio}, minimum {limits.MinDeliveryRatio})"));
        }

        if (latency > limits.MaxLatency)
        {
            return (CapacityLimit.Latency, FormattableString.Invariant(
                $"latency {p} was {latency:0.####} s at {rate} msg/s, over the limit of {limits.MaxLatency:0.####} s{(behind ? " (from the actual send: the client was also late)" : string.Empty)}"));
        }

        var other = r.Violations.FirstOrDefault(v => v.Code is not (ViolationCode.Latency or ViolationCode.Throughput or ViolationCode.DeliveryRatio or ViolationCode.MemoryGrowth));
        if (other is not null)
        {
            return (CapacityLimit.Errors, FormattableString.Invariant($"at {rate} msg/s: {other}"));
        }

        if (!behind && Backlog(r) is { } backlog)
        {
            return (CapacityLimit.Backlog, FormattableString.Invariant(
                $"the backend fell behind at {rate} msg/s: while the load ran it delivered {backlog.DeliveredRate:0} msg/s of {backlog.SentRate:0} sent ({backlog.Share:P0}), so a backlog grew through the step (a longer step would have broken the latency limit too)"));
        }

        if (behind)
        {
            return (CapacityLimit.Generator, FormattableString.Invariant(
                $"the generator could not go faster: at {rate} msg/s, {r.LateSends} of {r.Sent} sends ({late:P0}) left more than 5 ms after their intended time, while the backend kept every limit ({p} {r.ServiceLatency.AtPercentile(percentile) / 1000.0:0.####} s from the actual send, nothing refused or lost)"));
        }

        return (CapacityLimit.None, string.Empty);
    }

    /// <summary>Below this share of what was sent, delivered while the load ran, a backlog grew: the rate was not sustained.</summary>
    internal const double SustainedShare = 0.95;

    /// <summary>Fewer messages than this in the measured intervals say too little about the rate to judge a backlog.</summary>
    private const long BacklogSample = 200;

    /// <summary>
    /// Whether the backend kept up while the load ran: over the intervals inside the sending window (after the
    /// first, once a median latency has passed, and before the last), delivered against sent. A sustained rate
    /// delivers what it is sent, interval after interval; an unsustainable one delivers its capacity and the rest
    /// queues up, which a short step ends before the latency limit notices. Null when it kept up (or too few to say).
    /// </summary>
    internal static (double DeliveredRate, double SentRate, double Share)? Backlog(RapidScenarioResult r)
    {
        var sending = r.Timeline.Where(e => e.Sent > 0).ToList();
        if (sending.Count < 4)
        {
            return null;
        }

        var settle = sending[0].Elapsed + sending[0].Seconds + (r.Latency.P50 / 1000.0);
        var inner = sending.Skip(1).Take(sending.Count - 2).Where(e => e.Elapsed >= settle).ToList();
        long sent = inner.Sum(e => e.Sent);
        long delivered = inner.Sum(e => e.Delivered);
        var seconds = inner.Sum(e => e.Seconds);
        if (sent < BacklogSample || seconds <= 0)
        {
            return null;
        }

        var share = delivered / (double)sent;
        return share < SustainedShare ? (delivered / seconds, sent / seconds, share) : null;
    }

    private static async Task<RapidCapacityStep> RunStepAsync(
        IRapidScenario scenario,
        CapacitySearchOptions options,
        double rate,
        double seconds,
        Func<RapidScenarioParameters, RapidThresholds, ScenarioContext> newContext,
        CapacityProgress progress,
        CancellationToken cancellationToken)
    {
        var given = new RapidScenarioParameters
        {
            Rate = rate,
            Duration = seconds,
            Arrival = options.Arrival,
            Seed = options.Seed,
            TimeoutSec = options.TimeoutSec > 0 ? options.TimeoutSec : Math.Min(60, Math.Max(2, options.Limits.MaxLatency * 4)),
        };
        given.Connections = options.Connections;
        if (scenario is IUserSessionScenario)
        {
            // One connection per user: the load is spread over that many users.
            given.Users = options.Connections;
        }

        var parameters = ScenarioRunner.ResolveParameters(scenario, given);
        var limits = Limits(options);
        var context = newContext(parameters, limits);
        // Intervals short enough to see a backlog grow inside the step (at least ten per step).
        context.TimelineInterval = Math.Min(options.TimelineInterval, Math.Max(0.05, seconds / 10));
        progress.StepProgress = context.Progress;
        var r = await ScenarioRunner.RunAsync(scenario, context, cancellationToken).ConfigureAwait(false);
        var (limit, reason) = Judge(r, rate, limits, options.MaxLateShare);
        return new RapidCapacityStep
        {
            Rate = rate,
            Held = limit == CapacityLimit.None,
            BrokenBy = limit,
            Reason = reason,
            Sent = r.Sent,
            Delivered = r.Delivered,
            Rejected = r.Rejected,
            Lost = r.Lost,
            LateSends = r.LateSends,
            ThroughputPerSec = r.ThroughputPerSec,
            LatencyMs = r.Latency.AtPercentile(limits.LatencyPercentile),
            ServiceLatencyMs = r.ServiceLatency.AtPercentile(limits.LatencyPercentile),
            Result = r,
        };
    }

    private static RapidThresholds Limits(CapacitySearchOptions options)
    {
        var limits = options.Limits.Clone();
        limits.MinThroughput = 0;
        return limits;
    }

    private static string Reason(RapidCapacityResult result, RapidCapacityStep? broken, CapacitySearchOptions options)
    {
        if (broken is null)
        {
            return result.Steps.Length == 0
                ? "no step ran"
                : FormattableString.Invariant($"every rate tried held, up to {result.HighestHeldRate} msg/s ({(result.HighestHeldRate >= options.MaxRate ? "-MaxRate" : "-MaxSteps")} reached): the capacity is at least that");
        }

        return broken.Reason;
    }

    /// <summary>Rates to three significant digits, so steps read well (1250, not 1234.5678).</summary>
    private static double Round(double rate)
    {
        if (rate <= 0)
        {
            return 0;
        }

        var digits = Math.Max(0, 2 - (int)Math.Floor(Math.Log10(rate)));
        var scale = Math.Pow(10, Math.Floor(Math.Log10(rate)) - 2);
        return digits > 0 ? Math.Round(rate, digits) : Math.Round(rate / scale) * scale;
    }
}
