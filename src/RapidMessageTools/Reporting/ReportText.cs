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

    public static string Number(double value, string format = "0.###") => value.ToString(format, CultureInfo.InvariantCulture);

    public static string Date(DateTime value) => value.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
