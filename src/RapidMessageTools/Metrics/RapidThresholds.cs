using System;
using System.Collections.Generic;
using System.Globalization;

namespace RapidMessageTools.Metrics;

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

    public RapidThresholds Clone() => (RapidThresholds)MemberwiseClone();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first limit out of range.</summary>
    public void Validate()
    {
        if (!(MaxLatency > 0))
        {
            throw new ArgumentException(FormattableString.Invariant($"MaxLatency is seconds greater than 0, not {MaxLatency}."));
        }

        if (LatencyPercentile is not (50 or 90 or 99 or 99.9 or 100))
        {
            throw new ArgumentException(FormattableString.Invariant($"LatencyPercentile is one of 50, 90, 99, 99.9, 100, not {LatencyPercentile}."));
        }

        if (MinThroughput < 0 || double.IsNaN(MinThroughput))
        {
            throw new ArgumentException(FormattableString.Invariant($"MinThroughput is messages per second >= 0, not {MinThroughput}."));
        }

        if (MinDeliveryRatio is < 0 or > 1 || double.IsNaN(MinDeliveryRatio))
        {
            throw new ArgumentException(FormattableString.Invariant($"MinDeliveryRatio is between 0 and 1, not {MinDeliveryRatio}."));
        }

        if (MaxMemoryGrowth < 0 || double.IsNaN(MaxMemoryGrowth))
        {
            throw new ArgumentException(FormattableString.Invariant($"MaxMemoryGrowth is bytes >= 0, not {MaxMemoryGrowth}."));
        }
    }

    /// <summary>The violations of these limits by the measured values.</summary>
    public IReadOnlyList<RapidViolation> Evaluate(RapidLatencySummary latency, double throughputPerSec, double deliveryRatio, long memoryGrowthBytes, bool checkThroughput)
    {
        var violations = new List<RapidViolation>();
        if (latency.Count > 0)
        {
            var ms = latency.AtPercentile(LatencyPercentile);
            if (ms / 1000.0 > MaxLatency)
            {
                violations.Add(new RapidViolation(
                    ViolationCode.Latency,
                    Invariant($"latency p{LatencyPercentile} was {ms / 1000.0:0.####} s, over the limit of {MaxLatency:0.####} s (MaxLatency)."),
                    "Latency.P" + LatencyPercentile.ToString(CultureInfo.InvariantCulture),
                    MaxLatency,
                    ms / 1000.0));
            }
        }

        if (checkThroughput && throughputPerSec < MinThroughput)
        {
            violations.Add(new RapidViolation(
                ViolationCode.Throughput,
                Invariant($"throughput was {throughputPerSec:0.#} msg/s, under the limit of {MinThroughput:0.#} msg/s (MinThroughput)."),
                "ThroughputPerSec",
                MinThroughput,
                throughputPerSec));
        }

        if (deliveryRatio < MinDeliveryRatio)
        {
            violations.Add(new RapidViolation(
                ViolationCode.DeliveryRatio,
                Invariant($"delivery ratio was {deliveryRatio:0.####}, under the limit of {MinDeliveryRatio:0.####} (MinDeliveryRatio)."),
                "DeliveryRatio",
                MinDeliveryRatio,
                deliveryRatio));
        }

        if (memoryGrowthBytes > MaxMemoryGrowth)
        {
            violations.Add(new RapidViolation(
                ViolationCode.MemoryGrowth,
                Invariant($"client memory grew {memoryGrowthBytes / 1048576.0:0.##} MiB, over the limit of {MaxMemoryGrowth / 1048576.0:0.##} MiB (MaxMemoryGrowth)."),
                "MemoryGrowthBytes",
                MaxMemoryGrowth,
                memoryGrowthBytes));
        }

        return violations;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
