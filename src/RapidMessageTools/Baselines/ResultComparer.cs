using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using RapidMessageTools.Capacity;
using RapidMessageTools.Metrics;
using RapidMessageTools.Results;

namespace RapidMessageTools.Baselines;

/// <summary>What comparing results with a baseline found: the rows, warnings (no baseline, runs left out) and baselines that are not comparable.</summary>
public sealed class ComparisonReport
{
    public List<RapidComparison> Rows { get; } = new();

    public List<string> Warnings { get; } = new();

    /// <summary>Per scenario: why its baseline cannot be compared with it (another load shape, profile or shard), naming the difference.</summary>
    public List<(string Scenario, string Message)> NotComparable { get; } = new();

    /// <summary>The rows of <paramref name="scenario"/> that regressed, as violations naming the metric and both values.</summary>
    public IReadOnlyList<RapidViolation> Regressions(string scenario) => Rows
        .Where(r => r.Verdict == ComparisonVerdict.Regressed && string.Equals(r.Scenario, scenario, StringComparison.OrdinalIgnoreCase))
        .Select(r => new RapidViolation(
            ViolationCode.Regression,
            FormattableString.Invariant($"{r.Metric} regressed from {ResultComparer.Format(r.Baseline)} to {ResultComparer.Format(r.Current)}{(r.Unit.Length == 0 ? string.Empty : " " + r.Unit)} ({r.ChangeText}) against the baseline: {r.Reason}"),
            r.Metric,
            r.Baseline,
            r.Current))
        .ToList();
}

/// <summary>
/// Compares results with a baseline metric by metric, aware of noise (docs/REGRESSIONS.md has the rules):
/// a change is Regressed or Improved only when it is beyond the metric's tolerance AND beyond the noise, where the noise
/// is the baseline runs' own spread (3 runs or more), or, with one or two runs, the sampling uncertainty of a percentile
/// (the order-statistic interval read from the histograms) or of a share (a two-proportion test).
/// </summary>
public static class ResultComparer
{
    /// <summary>Memory growth is judged relative to at least this much (bytes): a baseline that grew 10 KB does not make 20 KB a regression.</summary>
    public const double MemoryGrowthFloor = 1024 * 1024;

    private static readonly (string Metric, double Q, Func<RapidScenarioResult, RapidHistogram?> Histogram, string Tolerance)[] Percentiles =
    [
        ("LatencyP50", 0.50, r => r.Histogram, "LatencyP50"),
        ("LatencyP95", 0.95, r => r.Histogram, "LatencyP95"),
        ("LatencyP99", 0.99, r => r.Histogram, "LatencyP99"),
    ];

    /// <summary>Compares every current result with the baseline runs of its scenario.</summary>
    public static ComparisonReport Compare(RapidResultSet baseline, IEnumerable<RapidScenarioResult> current, IEnumerable<RapidCapacityResult> capacities, RapidTolerances tolerances)
    {
        if (baseline is null)
        {
            throw new ArgumentNullException(nameof(baseline));
        }

        var report = new ComparisonReport();
        foreach (var result in current ?? [])
        {
            CompareScenario(result, baseline, tolerances, report);
        }

        foreach (var capacity in capacities ?? [])
        {
            CompareCapacity(capacity, baseline, tolerances, report);
        }

        return report;
    }

    /// <summary>Why <paramref name="baseline"/> cannot be compared with <paramref name="current"/> (the differences, named), or null when it can.</summary>
    public static string? Difference(RapidScenarioResult baseline, RapidScenarioResult current)
    {
        var d = Differences.Of(baseline?.Scenario, current?.Scenario, baseline is null ? null : ResultProtocol.Of(baseline), current is null ? null : ResultProtocol.Of(current));
        var b = baseline!.Parameters ?? new RapidScenarioParameters();
        var c = current!.Parameters ?? new RapidScenarioParameters();
        d.Check("MessageCount", b.MessageCount, c.MessageCount);
        d.Check("Connections", b.Connections, c.Connections);
        d.Check("Users", b.Users, c.Users);
        d.Check("BurstSize", b.BurstSize, c.BurstSize);
        d.Check("Bursts", b.Bursts, c.Bursts);
        d.Check("Agents", b.Agents, c.Agents);
        d.Check("Rate", b.Rate, c.Rate);
        d.Check("Duration", b.Duration, c.Duration);
        d.Check("MaxInFlight", b.MaxInFlight, c.MaxInFlight);
        d.Check("Arrival", b.Arrival, c.Arrival);
        d.Check("ThinkTime", b.ThinkTime, c.ThinkTime);
        d.Check("ConnectRate", b.ConnectRate, c.ConnectRate);
        d.Check("Stage", string.Join(", ", (b.Stages ?? []).Select(s => s.ToString())), string.Join(", ", (c.Stages ?? []).Select(s => s.ToString())));
        d.Check("Shard", baseline.Shard, current.Shard);
        return d.Text;
    }

    /// <summary>Why a capacity search cannot be compared with another (the differences, named), or null when it can.</summary>
    public static string? Difference(RapidCapacityResult baseline, RapidCapacityResult current)
    {
        var d = Differences.Of(baseline?.Scenario, current?.Scenario, baseline is null ? null : ResultProtocol.Of(baseline), current is null ? null : ResultProtocol.Of(current));
        d.Check("Connections", baseline!.Connections, current!.Connections);
        d.Check("Arrival", baseline.Arrival, current.Arrival);
        d.Check("StepDuration", baseline.StepDuration, current.StepDuration);
        d.Check("MaxLatency", baseline.Limits?.MaxLatency, current.Limits?.MaxLatency);
        d.Check("LatencyPercentile", baseline.Limits?.LatencyPercentile, current.Limits?.LatencyPercentile);
        d.Check("MinDeliveryRatio", baseline.Limits?.MinDeliveryRatio, current.Limits?.MinDeliveryRatio);
        return d.Text;
    }

    /// <summary>One row per metric of <paramref name="current"/> against <paramref name="baseline"/> (runs already checked comparable; none: NoBaseline rows).</summary>
    public static IReadOnlyList<RapidComparison> JudgeScenario(RapidScenarioResult current, IReadOnlyList<RapidScenarioResult> baseline, RapidTolerances tolerances)
    {
        if (current is null)
        {
            throw new ArgumentNullException(nameof(current));
        }

        baseline ??= [];
        tolerances ??= RapidTolerances.Defaults();
        var rows = new List<RapidComparison>();
        foreach (var (metric, q, histogram, tolerance) in Percentiles)
        {
            rows.Add(JudgePercentile(current, baseline, metric, q, histogram, tolerance, tolerances));
        }

        rows.Add(Max(current, baseline));
        rows.Add(JudgePlain(current, baseline, "Throughput", "msg/s", higherIsBetter: true, r => r.ThroughputPerSec, 0, tolerances));
        rows.Add(JudgeShare(current, baseline, "DeliveryRatio", higherIsBetter: true, r => (r.Delivered, r.RejectionsExpected ? r.Accepted : r.Distinct), tolerances));
        rows.Add(current.RejectionsExpected
            ? Row(current, "RejectedShare", string.Empty, baseline.Count == 0 ? null : Share(baseline.Sum(r => r.Rejected), baseline.Sum(r => r.Distinct)), Share(current.Rejected, current.Distinct), null, true, baseline.Count == 0 ? ComparisonVerdict.NoBaseline : ComparisonVerdict.NotJudged, $"{current.Scenario} provokes rejections on purpose: their share is what it measures, not a regression.", baseline.Count, null)
            : JudgeShare(current, baseline, "RejectedShare", higherIsBetter: false, r => (r.Rejected, r.Distinct), tolerances));
        if (current.FirstChunkHistogram is { TotalCount: > 0 } || baseline.Any(b => b.FirstChunkHistogram is { TotalCount: > 0 }))
        {
            rows.Add(JudgePercentile(current, baseline, "FirstChunkLatency", 0.99, r => r.FirstChunkHistogram, "FirstChunkLatency", tolerances));
        }

        if (current.ChunkGapHistogram is { TotalCount: > 0 } || baseline.Any(b => b.ChunkGapHistogram is { TotalCount: > 0 }))
        {
            rows.Add(JudgePercentile(current, baseline, "ChunkGap", 0.99, r => r.ChunkGapHistogram, "ChunkGap", tolerances));
        }

        rows.Add(JudgePlain(current, baseline, "MemoryGrowth", "bytes", higherIsBetter: false, r => r.MemoryGrowthBytes, MemoryGrowthFloor, tolerances));
        return rows;
    }

    /// <summary>The capacity (HighestHeldRate) of a search against the baseline's searches.</summary>
    public static RapidComparison JudgeCapacity(RapidCapacityResult current, IReadOnlyList<RapidCapacityResult> baseline, RapidTolerances tolerances)
    {
        if (current is null)
        {
            throw new ArgumentNullException(nameof(current));
        }

        baseline ??= [];
        tolerances ??= RapidTolerances.Defaults();
        var c = current.HighestHeldRate;
        var held = baseline.Select(b => b.HighestHeldRate).ToList();
        var b = held.Count == 0 ? (double?)null : NoiseRules.Median(held);
        RapidComparison Simple(ComparisonVerdict verdict, string reason) =>
            new(current.Scenario, "Capacity", "msg/s", b, c, b is double v && v != 0 ? (c - v) / v : null, false, verdict, reason, baseline.Count, tolerances["Capacity"]);
        if (b is null)
        {
            return Simple(ComparisonVerdict.NoBaseline, $"no baseline search of {current.Scenario}.");
        }

        if (current.GeneratorLimited || baseline.Any(s => s.GeneratorLimited))
        {
            return Simple(ComparisonVerdict.NotJudged, "the load generator limited the search (GeneratorLimited), so the capacity is only a lower bound; spread the load over more machines to judge it.");
        }

        // The search knows the capacity only between the rate that held and the first that broke: a change inside
        // that bracket is the search's own precision.
        var baseBroken = baseline.Select(s => s.FirstBrokenRate ?? double.PositiveInfinity).ToList();
        var lowestBaseBroken = NoiseRules.Median(baseBroken);
        return Decide(current.Scenario, "Capacity", "msg/s", higherIsBetter: true, b.Value, c, ToleranceTable.Find("Capacity")!, tolerances["Capacity"], 0, baseline.Count, worse =>
        {
            if (baseline.Count >= NoiseRules.SpreadRuns && !SpreadAllows(held, c, b.Value, out var spreadWhy))
            {
                return (false, spreadWhy);
            }

            var currentBroken = current.FirstBrokenRate ?? double.PositiveInfinity;
            return worse
                ? (currentBroken <= b.Value, Invariant($"the search broke at {Format(current.FirstBrokenRate)} msg/s, a rate the baseline held ({Format(b.Value)} msg/s)"))
                : (c >= lowestBaseBroken, Invariant($"the search held {Format(c)} msg/s, where the baseline broke ({Format(lowestBaseBroken)} msg/s)"));
        });
    }

    internal static string Format(double? value) => value is double v ? ThresholdResolver.FormatValue(Math.Round(v, 4)) : "none";

    private static void CompareScenario(RapidScenarioResult current, RapidResultSet baseline, RapidTolerances tolerances, ComparisonReport report)
    {
        var same = baseline.Scenarios.Where(b => string.Equals(b.Result.Scenario, current.Scenario, StringComparison.OrdinalIgnoreCase)).ToList();
        var usable = Usable(current.Scenario, same, b => b.Outcome == RapidOutcome.Interrupted, b => Difference(b, current), b => b.StartTime, baseline, report);
        if (usable is not null)
        {
            report.Rows.AddRange(JudgeScenario(current, usable, tolerances));
        }
    }

    private static void CompareCapacity(RapidCapacityResult current, RapidResultSet baseline, RapidTolerances tolerances, ComparisonReport report)
    {
        var same = baseline.Capacities.Where(b => string.Equals(b.Result.Scenario, current.Scenario, StringComparison.OrdinalIgnoreCase)).ToList();
        var usable = Usable("capacity of " + current.Scenario, same, _ => false, b => Difference(b, current), b => b.StartTime, baseline, report);
        if (usable is not null)
        {
            report.Rows.Add(JudgeCapacity(current, usable, tolerances));
        }
    }

    /// <summary>The baseline runs to judge by; null (with a NotComparable entry) when runs exist but none is comparable.</summary>
    private static List<T>? Usable<T>(string what, List<(T Result, string Source)> same, Func<T, bool> interrupted, Func<T, string?> difference, Func<T, DateTime> started, RapidResultSet baseline, ComparisonReport report)
    {
        if (same.Count == 0)
        {
            if (baseline.IsEmpty)
            {
                // Whoever read the baseline said why it is empty (a file not there yet, an empty folder).
                return [];
            }

            report.Warnings.Add($"{what}: the baseline has no run of it (it holds {baseline.Describe()}), so every metric is NoBaseline. Export this run (Export-RapidResult) to start its baseline.");
            return [];
        }

        var whole = same.Where(s => !interrupted(s.Result)).ToList();
        if (whole.Count < same.Count)
        {
            report.Warnings.Add(Invariant($"{what}: {same.Count - whole.Count} interrupted baseline run(s) left out (their figures are partial)."));
        }

        var comparable = whole.Where(s => difference(s.Result) is null).ToList();
        if (comparable.Count == 0 && whole.Count > 0)
        {
            var newest = whole.OrderByDescending(s => started(s.Result)).First();
            var file = newest.Source.Length == 0 ? string.Empty : $" ('{newest.Source}')";
            report.NotComparable.Add((what, $"{what}: the baseline{file} is not comparable with this run: {difference(newest.Result)}. Run with the baseline's settings, or export a new baseline from main with these."));
            return null;
        }

        if (comparable.Count < whole.Count)
        {
            var left = whole.First(s => difference(s.Result) is not null);
            report.Warnings.Add(Invariant($"{what}: {whole.Count - comparable.Count} of {whole.Count} baseline runs left out as not comparable (for one: {difference(left.Result)})."));
        }

        return comparable.Select(s => s.Result).ToList();
    }

    private static RapidComparison JudgePercentile(RapidScenarioResult current, IReadOnlyList<RapidScenarioResult> baseline, string metric, double q, Func<RapidScenarioResult, RapidHistogram?> select, string toleranceName, RapidTolerances tolerances)
    {
        var tolerance = ToleranceTable.Find(toleranceName)!;
        var currentHistogram = LatencyHistogram.Import(select(current));
        var baseHistograms = baseline.Select(r => LatencyHistogram.Import(select(r))).ToList();
        var pName = "p" + (q * 100).ToString(CultureInfo.InvariantCulture);
        double Ms(LatencyHistogram h) => h.ValueAtPercentile(q * 100) / 1000.0;
        var c = currentHistogram.TotalCount == 0 ? (double?)null : Ms(currentHistogram);
        var merged = new LatencyHistogram();
        baseHistograms.ForEach(merged.Add);
        var spreadRule = baseline.Count >= NoiseRules.SpreadRuns;
        var perRun = baseHistograms.Select(Ms).ToList();
        var b = baseline.Count == 0 || merged.TotalCount == 0 ? (double?)null : spreadRule ? NoiseRules.Median(perRun) : Ms(merged);
        RapidComparison Plain(ComparisonVerdict verdict, string reason) =>
            Row(current, metric, "ms", b, c, b is double bv && c is double cv && bv != 0 ? (cv - bv) / bv : null, false, verdict, reason, baseline.Count, tolerances[toleranceName]);

        if (baseline.Count == 0)
        {
            return Plain(ComparisonVerdict.NoBaseline, $"no baseline run of {current.Scenario}.");
        }

        if (c is null || b is null)
        {
            return Plain(ComparisonVerdict.NotJudged, c is null ? "the current run measured none." : "the baseline measured none.");
        }

        var needed = NoiseRules.SamplesNeeded(q);
        var thin = TooFew(currentHistogram.TotalCount, q, needed, pName, "the current run's")
            ?? (spreadRule
                ? baseHistograms.Select(h => TooFew(h.TotalCount, q, needed, pName, "a baseline run's")).FirstOrDefault(t => t is not null)
                : TooFew(merged.TotalCount, q, needed, pName, "the baseline's"));
        if (thin is not null)
        {
            return Plain(ComparisonVerdict.NotJudged, thin);
        }

        return Decide(current.Scenario, metric, "ms", higherIsBetter: false, b.Value, c.Value, tolerance, tolerances[toleranceName], 0, baseline.Count, worse =>
        {
            // The samples behind the percentile: its 99 % order-statistic intervals, the current run's against the baseline's merged.
            var (bl, bh) = NoiseRules.QuantileInterval(merged.RecordedValues(), q);
            var (cl, ch) = NoiseRules.QuantileInterval(currentHistogram.RecordedValues(), q);
            var apart = worse ? cl > bh : ch < bl;
            var intervals = Invariant($"the 99 % intervals of {pName} {(apart ? "do not overlap" : "overlap")} (baseline {bl / 1000.0:0.###}–{bh / 1000.0:0.###} ms, now {cl / 1000.0:0.###}–{ch / 1000.0:0.###} ms)");
            if (!spreadRule)
            {
                return (apart, intervals);
            }

            // Several runs: beyond their spread (what moves whole runs) and beyond the samples' own noise (what one
            // run's tail rests on: a p99 of 1,200 messages is 12 samples, and one stall moves it).
            var beyondSpread = SpreadAllows(perRun, c.Value, b.Value, out var spreadWhy);
            return (beyondSpread && apart, beyondSpread ? spreadWhy + ", and " + intervals : spreadWhy);
        });
    }

    private static string? TooFew(long n, double q, long needed, string pName, string whose)
    {
        var beyond = NoiseRules.SamplesBeyond(n, q);
        return beyond >= NoiseRules.TailSamples
            ? null
            : Invariant($"{whose} {pName} rests on {beyond} sample(s) beyond it ({n} measured); judging it needs {NoiseRules.TailSamples} beyond it, so at least {needed} samples. Send more messages.");
    }

    private static RapidComparison Max(RapidScenarioResult current, IReadOnlyList<RapidScenarioResult> baseline)
    {
        var c = current.Histogram is { TotalCount: > 0 } ? LatencyHistogram.Import(current.Histogram).ValueAtPercentile(100) / 1000.0 : (double?)null;
        var values = baseline.Where(r => r.Histogram is { TotalCount: > 0 }).Select(r => LatencyHistogram.Import(r.Histogram).ValueAtPercentile(100) / 1000.0).ToList();
        var b = values.Count == 0 ? (double?)null : NoiseRules.Median(values);
        return Row(current, "LatencyMax", "ms", b, c, b is double bv && c is double cv && bv != 0 ? (cv - bv) / bv : null, false,
            baseline.Count == 0 ? ComparisonVerdict.NoBaseline : ComparisonVerdict.NotJudged,
            baseline.Count == 0 ? $"no baseline run of {current.Scenario}." : "the maximum is one sample, with no noise estimate of its own; it is shown, not judged (p99 is).",
            baseline.Count,
            null);
    }

    private static RapidComparison JudgePlain(RapidScenarioResult current, IReadOnlyList<RapidScenarioResult> baseline, string metric, string unit, bool higherIsBetter, Func<RapidScenarioResult, double> read, double floor, RapidTolerances tolerances)
    {
        var c = read(current);
        var values = baseline.Select(read).ToList();
        var b = values.Count == 0 ? (double?)null : NoiseRules.Median(values);
        if (b is null)
        {
            return Row(current, metric, unit, null, c, null, false, ComparisonVerdict.NoBaseline, $"no baseline run of {current.Scenario}.", 0, tolerances[metric]);
        }

        if (values.Count < NoiseRules.SpreadRuns)
        {
            // One figure per run and no sampling distribution behind it: only the runs' own spread says what noise is.
            return Row(current, metric, unit, b, c, b.Value != 0 ? (c - b.Value) / Math.Abs(b.Value) : null, false, ComparisonVerdict.NotJudged,
                Invariant($"{metric} is one figure per run, so its noise is the spread of {NoiseRules.SpreadRuns} or more baseline runs; the baseline has {values.Count}. Keep a history of runs (Export-RapidResult -Path <folder>/)."),
                values.Count, tolerances[metric]);
        }

        return Decide(current.Scenario, metric, unit, higherIsBetter, b.Value, c, ToleranceTable.Find(metric)!, tolerances[metric], floor, baseline.Count, _ =>
            (SpreadAllows(values, c, b.Value, out var why), why));
    }

    private static RapidComparison JudgeShare(RapidScenarioResult current, IReadOnlyList<RapidScenarioResult> baseline, string metric, bool higherIsBetter, Func<RapidScenarioResult, (long X, long N)> read, RapidTolerances tolerances)
    {
        var (xc, nc) = read(current);
        var xb = baseline.Sum(r => read(r).X);
        var nb = baseline.Sum(r => read(r).N);
        var c = Share(xc, nc);
        var b = baseline.Count == 0 ? null : Share(xb, nb);
        if (baseline.Count == 0)
        {
            return Row(current, metric, string.Empty, null, c, null, true, ComparisonVerdict.NoBaseline, $"no baseline run of {current.Scenario}.", 0, tolerances[metric]);
        }

        if (b is null || c is null)
        {
            return Row(current, metric, string.Empty, b, c, null, true, ComparisonVerdict.NotJudged, c is null ? "the current run sent nothing." : "the baseline sent nothing.", baseline.Count, tolerances[metric]);
        }

        return Decide(current.Scenario, metric, string.Empty, higherIsBetter, b.Value, c.Value, ToleranceTable.Find(metric)!, tolerances[metric], 0, baseline.Count, worse =>
        {
            var z = NoiseRules.TwoProportionZ(xc, nc, xb, nb);
            var beyond = Math.Abs(z) > NoiseRules.Z && (z > 0) == (worse != higherIsBetter);
            return (beyond, Invariant($"two-proportion test of {xc}/{nc} against {xb}/{nb}: z = {z:0.##} ({(beyond ? "beyond" : "within")} ±{NoiseRules.Z})"));
        });
    }

    /// <summary>
    /// The rule every judged metric follows: Regressed (or Improved) only when the change in that direction is beyond the
    /// tolerance AND <paramref name="noise"/> says it is beyond the noise (its argument: true for the worse direction).
    /// </summary>
    private static RapidComparison Decide(string scenario, string metric, string unit, bool higherIsBetter, double b, double c, RapidTolerance tolerance, double allowedShare, double floor, int runs, Func<bool, (bool Beyond, string Why)> noise)
    {
        var worseBy = higherIsBetter ? b - c : c - b;
        double? change = tolerance.Absolute ? c - b : b != 0 ? (c - b) / Math.Abs(b) : null;
        var allowed = tolerance.Absolute ? allowedShare : allowedShare * Math.Max(Math.Abs(b), floor);
        var changeText = tolerance.Absolute
            ? Invariant($"{(c - b) * 100:+0.##;-0.##;0} points")
            : change is double ch ? ToleranceTable.Percent(ch) : Invariant($"{Format(b)} to {Format(c)}");
        RapidComparison Make(ComparisonVerdict verdict, string reason) =>
            new(scenario, metric, unit, b, c, change, tolerance.Absolute, verdict, reason, runs, allowedShare);

        if (Math.Abs(worseBy) <= allowed || worseBy == 0)
        {
            return Make(ComparisonVerdict.Unchanged, $"{changeText}, within the tolerance of {tolerance.Describe(allowedShare)}.");
        }

        var worse = worseBy > 0;
        var (beyond, why) = noise(worse);
        var side = worse ? "worse" : "better";
        return beyond
            ? Make(worse ? ComparisonVerdict.Regressed : ComparisonVerdict.Improved, $"{changeText} ({side}), beyond the tolerance of {tolerance.Describe(allowedShare)} and the noise: {why}.")
            : Make(ComparisonVerdict.Unchanged, $"{changeText} ({side}), beyond the tolerance of {tolerance.Describe(allowedShare)} but within the noise: {why}.");
    }

    private static bool SpreadAllows(IReadOnlyList<double> runs, double c, double b, out string why)
    {
        var spread = NoiseRules.Spread(runs, out var leftOut);
        var beyond = Math.Abs(c - b) > NoiseRules.SpreadFactor * spread;
        var left = leftOut.Count == 0 ? string.Empty : Invariant($", leaving out the farthest {(leftOut.Count == 1 ? "run" : leftOut.Count + " runs")} ({string.Join(", ", leftOut.Select(v => Format(v)))})");
        why = Invariant($"the change {(beyond ? "exceeds" : "is within")} {NoiseRules.SpreadFactor} × the spread of the {runs.Count} baseline runs ({Format(spread)} around their median {Format(b)}{left})");
        return beyond;
    }

    private static double? Share(long x, long n) => n <= 0 ? null : (double)x / n;

    private static RapidComparison Row(RapidScenarioResult current, string metric, string unit, double? b, double? c, double? change, bool absolute, ComparisonVerdict verdict, string reason, int runs, double? tolerance) =>
        new(current.Scenario, metric, unit, b, c, change, absolute, verdict, reason, runs, tolerance);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private sealed class Differences
    {
        private readonly List<string> _found = new();

        public string? Text => _found.Count == 0 ? null : string.Join("; ", _found);

        /// <summary>The differences every comparison checks first: the scenario (any case) and the protocol profile; throws when either result is missing.</summary>
        public static Differences Of(string? baselineScenario, string? currentScenario, string? baselineProtocol, string? currentProtocol)
        {
            if (baselineScenario is null || currentScenario is null)
            {
                throw new ArgumentNullException(baselineScenario is null ? "baseline" : "current");
            }

            var d = new Differences();
            d.Check("scenario", baselineScenario.ToUpperInvariant(), currentScenario.ToUpperInvariant());
            d.Check("protocol profile", baselineProtocol, currentProtocol);
            return d;
        }

        public void Check(string name, object? baseline, object? current)
        {
            if (!Equals(baseline, current))
            {
                _found.Add($"{name} {Show(baseline)} in the baseline, {Show(current)} now");
            }
        }

        private static string Show(object? value) => value switch
        {
            null => "none",
            string s when s.Length == 0 => "none",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "none",
        };
    }
}
