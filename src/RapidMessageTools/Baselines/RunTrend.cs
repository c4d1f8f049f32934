using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using RapidMessageTools.Capacity;
using RapidMessageTools.Results;

namespace RapidMessageTools.Baselines;

/// <summary>One run in a trend: when it started, the file it came from, whether it is the run the report is about, and its charted metrics.</summary>
public sealed class TrendRun
{
    public TrendRun(DateTime started, string source, bool isCurrent, IReadOnlyList<RapidComparison> rows)
    {
        Started = started;
        Source = source ?? string.Empty;
        IsCurrent = isCurrent;
        Rows = rows ?? [];
    }

    public DateTime Started { get; }

    /// <summary>The result file it was read from; empty for a run given live (piped).</summary>
    public string Source { get; }

    /// <summary>The current run (piped), or, when none was piped, the newest run of its series.</summary>
    public bool IsCurrent { get; }

    /// <summary>
    /// One row per charted metric (LatencyP99 and Throughput, or Capacity): <see cref="RapidComparison.Current"/> is the
    /// run's figure, the verdict judges it against the runs of its series before it (Compare-RapidResult's rules).
    /// </summary>
    public IReadOnlyList<RapidComparison> Rows { get; }

    /// <summary>The row of <paramref name="metric"/>, or null.</summary>
    public RapidComparison? Row(string metric) => Rows.FirstOrDefault(r => r.Metric == metric);
}

/// <summary>Runs of one scenario that are comparable with each other (kind, protocol profile, load shape, shard), oldest first.</summary>
public sealed class TrendSeries
{
    public TrendSeries(string scenario, bool isCapacity, int number, string settings, IReadOnlyList<TrendRun> runs, int total)
    {
        Scenario = scenario;
        IsCapacity = isCapacity;
        Number = number;
        Settings = settings;
        Runs = runs;
        Total = total;
    }

    public string Scenario { get; }

    /// <summary>True for Find-RapidCapacity searches (charted as Capacity), false for scenario runs (LatencyP99, Throughput).</summary>
    public bool IsCapacity { get; }

    /// <summary>1, 2… among the series of its scenario and kind.</summary>
    public int Number { get; }

    /// <summary>What its runs share, in words: the protocol profile and the load settings that decide comparability.</summary>
    public string Settings { get; }

    /// <summary>The runs drawn: the newest ones, at most the trend's window, oldest first.</summary>
    public IReadOnlyList<TrendRun> Runs { get; }

    /// <summary>Runs of the series in all, before the window.</summary>
    public int Total { get; }

    /// <summary>The metrics charted for this series.</summary>
    public IReadOnlyList<string> Metrics => IsCapacity ? RunTrend.CapacityMetrics : RunTrend.ScenarioMetrics;
}

/// <summary>
/// Results over time, for a trend report: runs grouped per scenario into series of comparable runs (a run not comparable
/// with a series' first run starts another series), the newest <c>last</c> runs of each series kept, and each kept run
/// judged against up to <c>last</c> runs of its series before it by <see cref="ResultComparer"/>'s rules, so a point is
/// Regressed exactly when Compare-RapidResult would call it so against those runs. Interrupted runs are left out, saying so.
/// </summary>
public sealed class RunTrend
{
    internal static readonly string[] ScenarioMetrics = ["LatencyP99", "Throughput"];
    internal static readonly string[] CapacityMetrics = ["Capacity"];

    private RunTrend(List<TrendSeries> series, List<string> notes, bool currentGiven, int runs)
    {
        Series = series;
        Notes = notes;
        CurrentGiven = currentGiven;
        RunCount = runs;
    }

    /// <summary>Every series, by scenario, scenario runs before capacity searches, then by number.</summary>
    public IReadOnlyList<TrendSeries> Series { get; }

    /// <summary>What was left out and why (interrupted runs), and series too short to be a trend.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>True when current runs were given (piped) besides the history; false when the newest runs are marked instead.</summary>
    public bool CurrentGiven { get; }

    /// <summary>Runs read, the current ones included, interrupted ones not.</summary>
    public int RunCount { get; }

    /// <summary>True when at least one series has two runs or more to draw.</summary>
    public bool HasTrend => Series.Any(s => s.Runs.Count >= 2);

    /// <summary>"Benchmark (protocol Rapid, MessageCount 1000): 1 run; capacity of Benchmark (...): 1 run".</summary>
    public string Describe() => Series.Count == 0
        ? "no runs"
        : string.Join("; ", Series.Select(s => Invariant($"{Name(s)} ({s.Settings}): {s.Total} run{(s.Total == 1 ? string.Empty : "s")}")));

    /// <summary>"Benchmark" or "capacity of Benchmark".</summary>
    public static string Name(TrendSeries series) => (series ?? throw new ArgumentNullException(nameof(series))).IsCapacity ? "capacity of " + series.Scenario : series.Scenario;

    /// <summary>
    /// The trend of <paramref name="history"/> and <paramref name="current"/> (may be empty), keeping the newest
    /// <paramref name="last"/> runs of each series. A run in both (the current run already saved in the history) counts once, as current.
    /// </summary>
    public static RunTrend Build(RapidResultSet history, RapidResultSet current, int last, RapidTolerances tolerances)
    {
        if (history is null)
        {
            throw new ArgumentNullException(nameof(history));
        }

        if (last < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(last), last, "A trend needs a window of two runs or more.");
        }

        current ??= new RapidResultSet();
        tolerances ??= RapidTolerances.Defaults();
        var currentGiven = !current.IsEmpty;
        var notes = new List<string>();

        var scenarios = history.Scenarios
            .Where(h => !current.Scenarios.Any(c => BaselineMatch.IsSameRun(h.Result, c.Result)))
            .Select(h => (h.Result, h.Source, IsCurrent: false))
            .Concat(current.Scenarios.Select(c => (c.Result, c.Source, IsCurrent: true)))
            .ToList();
        foreach (var interrupted in scenarios.Where(s => s.Result.Outcome == RapidOutcome.Interrupted).GroupBy(s => s.Result.Scenario, StringComparer.OrdinalIgnoreCase))
        {
            var files = interrupted.Select(s => s.Source.Length == 0 ? "the current run" : "'" + System.IO.Path.GetFileName(s.Source) + "'").Distinct();
            notes.Add(Invariant($"{interrupted.Count()} interrupted run(s) of {interrupted.Key} left out (their figures are partial): {string.Join(", ", files)}."));
        }

        scenarios.RemoveAll(s => s.Result.Outcome == RapidOutcome.Interrupted);
        var capacities = history.Capacities
            .Where(h => !current.Capacities.Any(c => SameSearch(h.Result, c.Result)))
            .Select(h => (h.Result, h.Source, IsCurrent: false))
            .Concat(current.Capacities.Select(c => (c.Result, c.Source, IsCurrent: true)))
            .ToList();

        var series = new List<TrendSeries>();
        series.AddRange(Group(scenarios, r => r.Scenario, r => r.StartTime, ResultComparer.Difference, Describe, false, last, currentGiven, (run, before) =>
            ResultComparer.JudgeScenario(run, before, tolerances).Where(row => ScenarioMetrics.Contains(row.Metric)).ToList()));
        series.AddRange(Group(capacities, r => r.Scenario, r => r.StartTime, ResultComparer.Difference, Describe, true, last, currentGiven, (run, before) =>
            new[] { ResultComparer.JudgeCapacity(run, before, tolerances) }));
        series = series.OrderBy(s => s.Scenario, StringComparer.OrdinalIgnoreCase).ThenBy(s => s.IsCapacity).ThenBy(s => s.Number).ToList();

        foreach (var scenario in series.GroupBy(s => (s.Scenario.ToUpperInvariant(), s.IsCapacity)).Where(g => g.Count() > 1))
        {
            notes.Add(Invariant($"The runs of {Name(scenario.First())} are not all comparable with each other (other settings), so they are {scenario.Count()} series, each judged against its own runs: {string.Join("; ", scenario.Select(s => Invariant($"series {s.Number}: {s.Settings}")))}."));
        }

        foreach (var single in series.Where(s => s.Runs.Count < 2))
        {
            notes.Add(Invariant($"{Name(single)}, series {single.Number} ({single.Settings}), has one run ({Date(single.Runs[0].Started)}): a trend needs two, so it is not drawn."));
        }

        return new RunTrend(series, notes, currentGiven, scenarios.Count + capacities.Count);
    }

    /// <summary>The series of one kind of result: per scenario, in order of time, each run in the first series whose first run it is comparable with.</summary>
    private static IEnumerable<TrendSeries> Group<T>(
        List<(T Result, string Source, bool IsCurrent)> runs,
        Func<T, string> scenario,
        Func<T, DateTime> started,
        Func<T, T, string?> difference,
        Func<T, string> describe,
        bool isCapacity,
        int last,
        bool currentGiven,
        Func<T, IReadOnlyList<T>, IReadOnlyList<RapidComparison>> judge)
    {
        foreach (var byScenario in runs.GroupBy(r => scenario(r.Result), StringComparer.OrdinalIgnoreCase).OrderBy(g => g.Key, StringComparer.OrdinalIgnoreCase))
        {
            var groups = new List<List<(T Result, string Source, bool IsCurrent)>>();
            foreach (var run in byScenario.OrderBy(r => started(r.Result)))
            {
                var home = groups.FirstOrDefault(g => difference(g[0].Result, run.Result) is null);
                if (home is null)
                {
                    groups.Add([run]);
                }
                else
                {
                    home.Add(run);
                }
            }

            var number = 0;
            foreach (var group in groups)
            {
                number++;
                var first = Math.Max(0, group.Count - last);
                var drawn = new List<TrendRun>();
                for (var i = first; i < group.Count; i++)
                {
                    var before = group.Skip(Math.Max(0, i - last)).Take(i - Math.Max(0, i - last)).Select(r => r.Result).ToList();
                    var isCurrent = currentGiven ? group[i].IsCurrent : i == group.Count - 1;
                    drawn.Add(new TrendRun(started(group[i].Result), group[i].Source, isCurrent, judge(group[i].Result, before)));
                }

                var newest = group[group.Count - 1].Result;
                yield return new TrendSeries(scenario(newest), isCapacity, number, describe(group[0].Result), drawn, group.Count);
            }
        }
    }

    private static bool SameSearch(RapidCapacityResult a, RapidCapacityResult b) =>
        string.Equals(a.Scenario, b.Scenario, StringComparison.OrdinalIgnoreCase) && a.StartTime == b.StartTime;

    /// <summary>The settings that decide whether two scenario runs are comparable, those that applied.</summary>
    private static string Describe(RapidScenarioResult r)
    {
        var p = r.Parameters ?? new RapidScenarioParameters();
        var parts = new List<string> { "protocol " + (ResultProtocol.Of(r) ?? "Rapid") };
        void Add(string name, double value, string unit = "")
        {
            if (value > 0)
            {
                parts.Add(Invariant($"{name} {value}{unit}"));
            }
        }

        Add("MessageCount", p.MessageCount);
        Add("Connections", p.Connections);
        Add("Users", p.Users);
        Add("BurstSize", p.BurstSize);
        Add("Bursts", p.Bursts);
        Add("Agents", p.Agents);
        Add("Rate", p.Rate, " msg/s");
        Add("Duration", p.Duration, " s");
        Add("MaxInFlight", p.MaxInFlight);
        Add("ThinkTime", p.ThinkTime, " s");
        Add("ConnectRate", p.ConnectRate, " conn/s");
        var arrival = p.Arrival.ToString();
        if (arrival != "Constant")
        {
            // Poisson: the seed is not compared (as the comparison does not), so it is not named.
            parts.Add(arrival + " arrivals");
        }

        if (p.Stages is { Length: > 0 })
        {
            parts.Add("stages " + string.Join("; ", p.Stages.Select(s => s.ToString())));
        }

        if (r.Shard is not ("1/1" or ""))
        {
            parts.Add("shard " + r.Shard);
        }

        return string.Join(", ", parts);
    }

    private static string Describe(RapidCapacityResult r)
    {
        var limits = r.Limits ?? new RapidThresholds();
        return Invariant($"protocol {ResultProtocol.Of(r) ?? "Rapid"}, Connections {r.Connections}, {r.Arrival} arrivals, StepDuration {r.StepDuration} s, MaxLatency {limits.MaxLatency} s at p{limits.LatencyPercentile}, MinDeliveryRatio {limits.MinDeliveryRatio}");
    }

    private static string Date(DateTime value) => value.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
