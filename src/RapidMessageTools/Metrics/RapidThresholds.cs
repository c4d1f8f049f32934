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

    /// <summary>The violations of these limits by the measured values.</summary>
    /// <remarks>
    /// <paramref name="checkLatency"/> and <paramref name="checkThroughput"/>: whether those limits apply to this
    /// scenario; a limit the caller named always applies. <paramref name="deliveryDetail"/> says what the ratio is of.
    /// </remarks>
    public IReadOnlyList<RapidViolation> Evaluate(RapidLatencySummary latency, double throughputPerSec, double deliveryRatio, long memoryGrowthBytes, bool checkLatency, bool checkThroughput, string? deliveryDetail = null)
    {
        var violations = new List<RapidViolation>();
        checkLatency |= IsExplicit(nameof(MaxLatency));
        checkThroughput |= IsExplicit(nameof(MinThroughput));
        if (checkLatency && latency.Count > 0)
        {
            var ms = latency.AtPercentile(LatencyPercentile);
            if (ms / 1000.0 > MaxLatency)
            {
                violations.Add(new RapidViolation(
                    ViolationCode.Latency,
                    Invariant($"latency p{LatencyPercentile} was {Format(ms / 1000.0)} s, over the limit of {Format(MaxLatency)} s (MaxLatency, {Source(nameof(MaxLatency))})."),
                    "Latency.P" + LatencyPercentile.ToString(CultureInfo.InvariantCulture),
                    MaxLatency,
                    ms / 1000.0));
            }
        }

        if (checkThroughput && throughputPerSec < MinThroughput)
        {
            violations.Add(new RapidViolation(
                ViolationCode.Throughput,
                Invariant($"throughput was {throughputPerSec:0.#} msg/s, under the limit of {Format(MinThroughput)} msg/s (MinThroughput, {Source(nameof(MinThroughput))})."),
                "ThroughputPerSec",
                MinThroughput,
                throughputPerSec));
        }

        if (deliveryRatio < MinDeliveryRatio)
        {
            violations.Add(new RapidViolation(
                ViolationCode.DeliveryRatio,
                Invariant($"delivery ratio was {deliveryRatio:0.####}{deliveryDetail}, under the limit of {Format(MinDeliveryRatio)} (MinDeliveryRatio, {Source(nameof(MinDeliveryRatio))})."),
                "DeliveryRatio",
                MinDeliveryRatio,
                deliveryRatio));
        }

        if (memoryGrowthBytes > MaxMemoryGrowth)
        {
            violations.Add(new RapidViolation(
                ViolationCode.MemoryGrowth,
                Invariant($"client memory grew {memoryGrowthBytes / 1048576.0:0.##} MiB, over the limit of {Format(MaxMemoryGrowth / 1048576.0)} MiB (MaxMemoryGrowth, {Source(nameof(MaxMemoryGrowth))})."),
                "MemoryGrowthBytes",
                MaxMemoryGrowth,
                memoryGrowthBytes));
        }

        return violations;
    }

    /// <summary>
    /// The violations of the stream limits: time to first chunk at <see cref="LatencyPercentile"/> (when
    /// <paramref name="checkFirstChunk"/>, or when the caller named the limit), and the longest chunk gap. Null
    /// summaries (no stream seen) pass.
    /// </summary>
    public IReadOnlyList<RapidViolation> EvaluateStreams(RapidLatencySummary? firstChunk, RapidLatencySummary? chunkGap, bool checkFirstChunk)
    {
        var violations = new List<RapidViolation>();
        checkFirstChunk |= IsExplicit(nameof(MaxFirstChunkLatency));
        if (checkFirstChunk && firstChunk is { Count: > 0 })
        {
            var ms = firstChunk.AtPercentile(LatencyPercentile);
            if (ms / 1000.0 > MaxFirstChunkLatency)
            {
                violations.Add(new RapidViolation(
                    ViolationCode.FirstChunkLatency,
                    Invariant($"time to first chunk p{LatencyPercentile} was {ms / 1000.0:0.####} s, over the limit of {Format(MaxFirstChunkLatency)} s (MaxFirstChunkLatency, {Source(nameof(MaxFirstChunkLatency))})."),
                    "FirstChunkLatency.P" + LatencyPercentile.ToString(CultureInfo.InvariantCulture),
                    MaxFirstChunkLatency,
                    ms / 1000.0));
            }
        }

        if (chunkGap is { Count: > 0 } && chunkGap.Max / 1000.0 > MaxChunkGap)
        {
            violations.Add(new RapidViolation(
                ViolationCode.ChunkGap,
                Invariant($"a stream stalled: the longest gap between two chunks was {chunkGap.Max / 1000.0:0.####} s, over the limit of {Format(MaxChunkGap)} s (MaxChunkGap, {Source(nameof(MaxChunkGap))}); p99 gap {chunkGap.P99 / 1000.0:0.####} s."),
                "ChunkGap.Max",
                MaxChunkGap,
                chunkGap.Max / 1000.0));
        }

        return violations;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string Format(double value) => ThresholdResolver.FormatValue(value);

    private string Source(string limit) =>
        Sources is not null && Sources.TryGetValue(limit, out var source) ? "from " + source : "from " + ThresholdSources.Default;
}
