using System;
using System.Globalization;
using RapidMessageTools.Scenarios;

namespace RapidMessageTools.Reporting;

/// <summary>Phrases every report format shares.</summary>
internal static class ReportText
{
    public static string Figures(RapidScenarioResult r) => string.Format(
        CultureInfo.InvariantCulture,
        "{0}: {1}. Sent {2}, delivered {3}, rejected {4}, lost {5}, duplicates {6}, out of order {7}; delivery ratio {8:0.####}; {9:0.#} msg/s; latency p50 {10} ms, p90 {11} ms, p99 {12} ms, p99.9 {13} ms, max {14} ms; duration {15:0.###} s.",
        r.Scenario,
        r.Passed ? "passed" : "FAILED",
        r.Sent,
        r.Delivered,
        r.Rejected,
        r.Lost,
        r.Duplicates,
        r.OutOfOrder,
        r.DeliveryRatio,
        r.ThroughputPerSec,
        r.Latency.P50,
        r.Latency.P90,
        r.Latency.P99,
        r.Latency.P999,
        r.Latency.Max,
        r.Duration);

    /// <summary>Every limit the run was judged by, the stream limits included.</summary>
    public static string Thresholds(RapidScenarioResult r)
    {
        var t = r.Thresholds ?? new Metrics.RapidThresholds();
        return string.Format(
            CultureInfo.InvariantCulture,
            "Thresholds: MaxLatency {0} s at p{1}, MinThroughput {2} msg/s, MinDeliveryRatio {3}, MaxMemoryGrowth {4:0} bytes, MaxFirstChunkLatency {5} s at p{1}, MaxChunkGap {6} s.",
            t.MaxLatency,
            t.LatencyPercentile,
            t.MinThroughput,
            t.MinDeliveryRatio,
            t.MaxMemoryGrowth,
            t.MaxFirstChunkLatency,
            t.MaxChunkGap);
    }

    /// <summary>The streamed replies' figures, or null when no reply streamed.</summary>
    public static string? Streams(RapidScenarioResult r)
    {
        if (r.FirstChunkLatency is null && r.ChunksDelivered == 0 && r.StreamsCancelled == 0)
        {
            return null;
        }

        var first = r.FirstChunkLatency ?? new Metrics.RapidLatencySummary();
        var gap = r.ChunkGap ?? new Metrics.RapidLatencySummary();
        return string.Format(
            CultureInfo.InvariantCulture,
            "Streams: {0} completed, {1} cancelled, {2} cut, {3} chunks; time to first chunk p50 {4} ms, p99 {5} ms, max {6} ms; chunk gap p50 {7} ms, p99 {8} ms, max {9} ms.",
            r.StreamsCompleted,
            r.StreamsCancelled,
            r.StreamsCut,
            r.ChunksDelivered,
            first.P50,
            first.P99,
            first.Max,
            gap.P50,
            gap.P99,
            gap.Max);
    }

    public static string Number(double value, string format = "0.###") => value.ToString(format, CultureInfo.InvariantCulture);

    public static string Date(DateTime value) => value.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
