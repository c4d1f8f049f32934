using System;
using HdrHistogram;

namespace RapidMessageTools.Metrics;

/// <summary>Latency percentiles in milliseconds.</summary>
public sealed class RapidLatencySummary
{
    public long Count { get; set; }
    public double P50 { get; set; }
    public double P90 { get; set; }
    public double P99 { get; set; }
    public double P999 { get; set; }
    public double Max { get; set; }
    public double Mean { get; set; }

    /// <summary>The value at any percentile (0-100), milliseconds; used by thresholds.</summary>
    public double AtPercentile(double percentile) => percentile switch
    {
        50 => P50,
        90 => P90,
        99 => P99,
        99.9 => P999,
        100 => Max,
        _ => double.NaN,
    };

    internal static RapidLatencySummary From(HistogramBase h)
    {
        if (h.TotalCount == 0)
        {
            return new RapidLatencySummary();
        }

        static double Ms(long micros) => Math.Round(micros / 1000.0, 3);
        return new RapidLatencySummary
        {
            Count = h.TotalCount,
            P50 = Ms(h.GetValueAtPercentile(50)),
            P90 = Ms(h.GetValueAtPercentile(90)),
            P99 = Ms(h.GetValueAtPercentile(99)),
            P999 = Ms(h.GetValueAtPercentile(99.9)),
            Max = Ms(h.GetMaxValue()),
            Mean = Math.Round(h.GetMean() / 1000.0, 3),
        };
    }

    public override string ToString() =>
        FormattableString.Invariant($"p50 {P50} ms, p99 {P99} ms, max {Max} ms ({Count} samples)");
}
