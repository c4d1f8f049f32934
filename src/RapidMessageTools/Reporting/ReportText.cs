using System;
using System.Globalization;
using System.Linq;
using RapidMessageTools.Results;

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
    public static string Thresholds(RapidScenarioResult r) => "Thresholds: " + Limits(r) + ".";

    /// <summary>"MaxLatency 1 s at p99, MinThroughput 10 msg/s, ...": every limit of the table with its unit, as the run had it.</summary>
    public static string Limits(RapidScenarioResult r)
    {
        var t = r.Thresholds ?? new RapidThresholds();
        var percentile = t.LatencyPercentile.ToString(CultureInfo.InvariantCulture);
        return string.Join(", ", ThresholdResolver.Judged.Select(limit =>
        {
            var value = t.Value(limit.Name).ToString(limit.NumberFormat, CultureInfo.InvariantCulture);
            return limit.Name + " " + value + (limit.Unit.Length > 0 ? " " + limit.Unit : string.Empty) + (limit.AtPercentile ? " at p" + percentile : string.Empty);
        }));
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
