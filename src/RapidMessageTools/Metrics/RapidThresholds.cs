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

        if (!(MaxFirstChunkLatency > 0))
        {
            throw new ArgumentException(FormattableString.Invariant($"MaxFirstChunkLatency is seconds greater than 0, not {MaxFirstChunkLatency}."));
        }

        if (!(MaxChunkGap > 0))
        {
            throw new ArgumentException(FormattableString.Invariant($"MaxChunkGap is seconds greater than 0, not {MaxChunkGap}."));
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

    /// <summary>
    /// The violations of the stream limits: time to first chunk at <see cref="LatencyPercentile"/> (when
    /// <paramref name="checkFirstChunk"/>), and the longest chunk gap. Null summaries (no stream seen) pass.
    /// </summary>
    public IReadOnlyList<RapidViolation> EvaluateStreams(RapidLatencySummary? firstChunk, RapidLatencySummary? chunkGap, bool checkFirstChunk)
    {
        var violations = new List<RapidViolation>();
        if (checkFirstChunk && firstChunk is { Count: > 0 })
        {
            var ms = firstChunk.AtPercentile(LatencyPercentile);
            if (ms / 1000.0 > MaxFirstChunkLatency)
            {
                violations.Add(new RapidViolation(
                    ViolationCode.FirstChunkLatency,
                    Invariant($"time to first chunk p{LatencyPercentile} was {ms / 1000.0:0.####} s, over the limit of {MaxFirstChunkLatency:0.####} s (MaxFirstChunkLatency)."),
                    "FirstChunkLatency.P" + LatencyPercentile.ToString(CultureInfo.InvariantCulture),
                    MaxFirstChunkLatency,
                    ms / 1000.0));
            }
        }

        if (chunkGap is { Count: > 0 } && chunkGap.Max / 1000.0 > MaxChunkGap)
        {
            violations.Add(new RapidViolation(
                ViolationCode.ChunkGap,
                Invariant($"a stream stalled: the longest gap between two chunks was {chunkGap.Max / 1000.0:0.####} s, over the limit of {MaxChunkGap:0.####} s (MaxChunkGap); p99 gap {chunkGap.P99 / 1000.0:0.####} s."),
                "ChunkGap.Max",
                MaxChunkGap,
                chunkGap.Max / 1000.0));
        }

        return violations;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
