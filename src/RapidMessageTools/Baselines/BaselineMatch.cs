using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using RapidMessageTools.Metrics;
using RapidMessageTools.Results;

namespace RapidMessageTools.Baselines;

/// <summary>
/// The baseline runs a result is drawn against in a report: the whole (not interrupted) runs of its scenario that
/// are comparable with it (<see cref="ResultComparer.Difference(RapidScenarioResult, RapidScenarioResult)"/>), the
/// run itself left out when the baseline holds it too. Their histograms merge exactly into one percentile curve;
/// the newest of them with a timeline gives the timeline drawn. When none fits, <see cref="Note"/> says why.
/// </summary>
public sealed class BaselineMatch
{
    private BaselineMatch(IReadOnlyList<(RapidScenarioResult Result, string Source)> runs, string note)
    {
        Runs = runs;
        Note = note;
        Histogram = runs.Count == 0 ? new RapidHistogram() : RapidHistogram.Merge(runs.Select(r => r.Result.Histogram).ToArray());
        Timeline = NewestWithTimeline(runs);
    }

    /// <summary>The comparable baseline runs, oldest first, each with the file it came from (empty when given live).</summary>
    public IReadOnlyList<(RapidScenarioResult Result, string Source)> Runs { get; }

    /// <summary>True when there is a baseline to draw.</summary>
    public bool Found => Runs.Count > 0;

    /// <summary>The runs' latency histograms merged (empty without runs).</summary>
    public RapidHistogram Histogram { get; }

    /// <summary>The newest run with a timeline of two intervals or more, or null.</summary>
    public (RapidScenarioResult Result, string Source)? Timeline { get; }

    /// <summary>What is drawn, or why nothing is: for people reading the report.</summary>
    public string Note { get; }

    /// <summary>The baseline runs of <paramref name="current"/> in <paramref name="baseline"/>.</summary>
    public static BaselineMatch For(RapidScenarioResult current, RapidResultSet baseline)
    {
        if (current is null)
        {
            throw new ArgumentNullException(nameof(current));
        }

        if (baseline is null)
        {
            throw new ArgumentNullException(nameof(baseline));
        }

        var same = baseline.Scenarios
            .Where(b => string.Equals(b.Result.Scenario, current.Scenario, StringComparison.OrdinalIgnoreCase) && !IsSameRun(b.Result, current))
            .ToList();
        if (same.Count == 0)
        {
            return None($"No baseline drawn: the baseline has no other run of {current.Scenario} (it holds {baseline.Describe()}).");
        }

        var whole = same.Where(b => b.Result.Outcome != RapidOutcome.Interrupted).ToList();
        if (whole.Count == 0)
        {
            return None(Invariant($"No baseline drawn: the baseline's {same.Count} run(s) of {current.Scenario} were interrupted (their figures are partial)."));
        }

        var comparable = whole.Where(b => ResultComparer.Difference(b.Result, current) is null).OrderBy(b => b.Result.StartTime).ToList();
        if (comparable.Count == 0)
        {
            var newest = whole.OrderByDescending(b => b.Result.StartTime).First();
            return None($"No baseline drawn: the baseline{From(newest.Source)} is not comparable with this run: {ResultComparer.Difference(newest.Result, current)}.");
        }

        var left = whole.Count - comparable.Count;
        var leftOut = (same.Count - whole.Count > 0 ? Invariant($" {same.Count - whole.Count} interrupted run(s) left out.") : string.Empty)
            + (left > 0 ? Invariant($" {left} run(s) with other settings left out.") : string.Empty);
        var curve = comparable.Count == 1
            ? $"the baseline is the run of {Date(comparable[0].Result.StartTime)}{From(comparable[0].Source)}"
            : Invariant($"the baseline is {comparable.Count} comparable runs ({Date(comparable[0].Result.StartTime)} to {Date(comparable[comparable.Count - 1].Result.StartTime)}), their histograms merged for the percentile curve");
        var timeline = NewestWithTimeline(comparable) is { } t
            ? comparable.Count == 1 ? "; its timeline is drawn" : $"; the timeline drawn is the newest one's ({Date(t.Result.StartTime)})"
            : "; no baseline run has a timeline to draw";
        return new BaselineMatch(comparable, "Drawn against the baseline: " + curve + timeline + "." + leftOut);
    }

    /// <summary>The same run (its copy saved in the baseline): same run id, shard and start.</summary>
    internal static bool IsSameRun(RapidScenarioResult a, RapidScenarioResult b) =>
        !string.IsNullOrEmpty(a.RunId) && a.RunId == b.RunId && a.Shard == b.Shard && a.StartTime == b.StartTime;

    private static BaselineMatch None(string note) => new([], note);

    private static (RapidScenarioResult Result, string Source)? NewestWithTimeline(IEnumerable<(RapidScenarioResult Result, string Source)> runs) =>
        runs.Where(r => (r.Result.Timeline?.Length ?? 0) >= 2)
            .OrderByDescending(r => r.Result.StartTime)
            .Select(r => ((RapidScenarioResult Result, string Source)?)r)
            .FirstOrDefault();

    private static string From(string source) => source.Length == 0 ? string.Empty : $" ('{System.IO.Path.GetFileName(source)}')";

    private static string Date(DateTime value) => value.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
