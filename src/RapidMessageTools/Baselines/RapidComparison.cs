using System;
using System.Globalization;

namespace RapidMessageTools.Baselines;

/// <summary>What a comparison found for one metric.</summary>
public enum ComparisonVerdict
{
    /// <summary>Worse than the baseline by more than the tolerance and beyond the noise.</summary>
    Regressed,

    /// <summary>Better than the baseline by more than the tolerance and beyond the noise.</summary>
    Improved,

    /// <summary>Within the tolerance, or within the noise.</summary>
    Unchanged,

    /// <summary>Not enough evidence to judge (too few samples beyond a percentile, a single sample, a generator-limited search).</summary>
    NotJudged,

    /// <summary>No baseline run of this scenario (the first run of a new pipeline).</summary>
    NoBaseline,
}

/// <summary>One metric of one scenario, current against baseline (Compare-RapidResult's rows).</summary>
public sealed class RapidComparison
{
    public RapidComparison(string scenario, string metric, string unit, double? baseline, double? current, double? change, bool changeIsAbsolute, ComparisonVerdict verdict, string reason, int baselineRuns, double? tolerance)
    {
        Scenario = scenario;
        Metric = metric;
        Unit = unit;
        Baseline = baseline;
        Current = current;
        Change = change;
        ChangeIsAbsolute = changeIsAbsolute;
        Verdict = verdict;
        Reason = reason;
        BaselineRuns = baselineRuns;
        Tolerance = tolerance;
    }

    public string Scenario { get; }

    /// <summary>LatencyP50, LatencyP95, LatencyP99, LatencyMax, Throughput, DeliveryRatio, RejectedShare, FirstChunkLatency, ChunkGap, MemoryGrowth or Capacity.</summary>
    public string Metric { get; }

    /// <summary>The unit of <see cref="Baseline"/> and <see cref="Current"/>: ms, msg/s, bytes, or empty for a share.</summary>
    public string Unit { get; }

    /// <summary>The baseline's figure (the median of its runs, or the one run's); null without a baseline.</summary>
    public double? Baseline { get; }

    public double? Current { get; }

    /// <summary>(Current − Baseline) / Baseline; for a share (<see cref="ChangeIsAbsolute"/>) Current − Baseline. Null when it cannot be computed.</summary>
    public double? Change { get; }

    public bool ChangeIsAbsolute { get; }

    public ComparisonVerdict Verdict { get; }

    /// <summary>Why, in words: the change against the tolerance and the noise, or what the figure rests on.</summary>
    public string Reason { get; }

    /// <summary>Baseline runs the figure was judged against.</summary>
    public int BaselineRuns { get; }

    public double? Tolerance { get; }

    /// <summary>The change as the table shows it: "+12.5 %" or, for a share, "-0.8 pt".</summary>
    public string ChangeText => Change is not double c
        ? string.Empty
        : ChangeIsAbsolute
            ? (c * 100).ToString("+0.##;-0.##;0", CultureInfo.InvariantCulture) + " pt"
            : (c * 100).ToString("+0.#;-0.#;0", CultureInfo.InvariantCulture) + " %";

    public override string ToString() =>
        FormattableString.Invariant($"{Scenario} {Metric}: {Verdict} ({Baseline} -> {Current} {Unit}, {ChangeText}): {Reason}");
}
