using System;
using System.Collections.Generic;
using System.Globalization;

namespace RapidMessageTools.Results;

/// <summary>
/// Limits a run must stay within. Resolved from parameters, then RAPID_TEST_* variables, then these
/// defaults, which a healthy backend on a laptop passes.
/// </summary>
public sealed class RapidThresholds
{
    public const double DefaultMaxLatency = 1.0;
    public const double DefaultLatencyPercentile = 99;
    public const double DefaultMinThroughput = 10;
    public const double DefaultMinDeliveryRatio = 1.0;
    public const double DefaultMaxMemoryGrowth = 100 * 1024 * 1024;
    public const double DefaultMaxFirstChunkLatency = 1.0;
    public const double DefaultMaxChunkGap = 2.0;

    /// <summary>Seconds the latency at <see cref="LatencyPercentile"/> may reach.</summary>
    public double MaxLatency { get; set; } = DefaultMaxLatency;

    /// <summary>50, 90, 99, 99.9 or 100 (max).</summary>
    public double LatencyPercentile { get; set; } = DefaultLatencyPercentile;

    /// <summary>Messages per second a run must reach.</summary>
    public double MinThroughput { get; set; } = DefaultMinThroughput;

    /// <summary>Share of accepted messages that must be answered, 0 to 1.</summary>
    public double MinDeliveryRatio { get; set; } = DefaultMinDeliveryRatio;

    /// <summary>Bytes the client's managed heap may grow during a run.</summary>
    public double MaxMemoryGrowth { get; set; } = DefaultMaxMemoryGrowth;

    /// <summary>Streamed replies: seconds the time to the first chunk may reach at <see cref="LatencyPercentile"/>.</summary>
    public double MaxFirstChunkLatency { get; set; } = DefaultMaxFirstChunkLatency;

    /// <summary>Streamed replies: seconds the longest gap between two chunks of one reply may reach.</summary>
    public double MaxChunkGap { get; set; } = DefaultMaxChunkGap;

    /// <summary>For each limit, by name: Parameter, Threshold (the -Threshold table), Environment or Default (<see cref="ThresholdSources"/>).</summary>
    public Dictionary<string, string> Sources { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether the caller named this limit (a parameter, -Threshold or a RAPID_TEST_* variable), rather than the default standing.</summary>
    public bool IsExplicit(string limit) =>
        Sources is not null && Sources.TryGetValue(limit, out var source) && source != ThresholdSources.Default;

    public RapidThresholds Clone()
    {
        var copy = (RapidThresholds)MemberwiseClone();
        copy.Sources = new Dictionary<string, string>(Sources ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);
        return copy;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first limit out of range.</summary>
    public void Validate()
    {
        foreach (var limit in ThresholdResolver.Limits)
        {
            var value = Value(limit.Name);
            if (!limit.IsValid(value))
            {
                throw new ArgumentException($"{limit.Name} must be {limit.Expected}, not {ThresholdResolver.FormatValue(value)}.", limit.Name);
            }
        }
    }

    /// <summary>The value of the limit named <paramref name="limit"/>.</summary>
    public double Value(string limit) =>
        (ThresholdResolver.Find(limit) ?? throw new ArgumentException($"There is no limit named '{limit}'.", nameof(limit))).Read(this);

    /// <summary>
    /// The limits <paramref name="result"/> crossed, in the table's order (<see cref="ThresholdResolver.Limits"/>). A limit
    /// judges when the caller named it, when it applies to the scenario (<paramref name="judging"/>), or when its code is in
    /// <paramref name="alsoJudge"/> (a shard judged it); a limit whose value the run did not measure passes.
    /// </summary>
    public IReadOnlyList<RapidViolation> Evaluate(RapidScenarioResult result, ScenarioJudging? judging, ICollection<string>? alsoJudge = null)
    {
        var violations = new List<RapidViolation>();
        foreach (var limit in ThresholdResolver.Judged)
        {
            if (!IsExplicit(limit.Name) && !limit.Applies(judging) && !(alsoJudge?.Contains(limit.Code!) ?? false))
            {
                continue;
            }

            var measured = limit.MeasuredValue(result, this);
            var value = limit.Read(this);
            if (measured is double m && limit.IsCrossed(m, value))
            {
                violations.Add(new RapidViolation(limit.Code!, limit.Sentence(result, this, m, Source(limit.Name)), limit.MeasureName(this), value, m));
            }
        }

        return violations;
    }

    private string Source(string limit) =>
        Sources is not null && Sources.TryGetValue(limit, out var source) ? "from " + source : "from " + ThresholdSources.Default;
}
