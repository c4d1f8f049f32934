using System;
using HdrHistogram;
using HdrHistogram.Utilities;

namespace RapidMessageTools.Metrics;

/// <summary>
/// A latency histogram as plain data: survives Export-Clixml and ConvertTo-Json, and merges exactly
/// (<see cref="Merge"/> adds the counts of every bucket).
/// </summary>
public sealed class RapidHistogram
{
    public RapidHistogram()
    {
    }

    public RapidHistogram(string encoded, long totalCount)
    {
        Encoded = encoded;
        TotalCount = totalCount;
    }

    /// <summary>Base64 of HdrHistogram's compressed V2 encoding; values in microseconds.</summary>
    public string Encoded { get; set; } = string.Empty;

    public long TotalCount { get; set; }

    public string Unit { get; set; } = "microseconds";

    /// <summary>Adds histograms bucket by bucket; the result equals a histogram that recorded every value.</summary>
    public static RapidHistogram Merge(params RapidHistogram?[] histograms)
    {
        var sum = new LatencyHistogram();
        foreach (var h in histograms ?? [])
        {
            sum.Add(LatencyHistogram.Import(h));
        }

        return sum.Export();
    }

    public RapidLatencySummary Summarize() => LatencyHistogram.Import(this).Summarize();

    internal static RapidHistogram Encode(HistogramBase histogram)
    {
        var buffer = ByteBuffer.Allocate(histogram.GetNeededByteBufferCapacity());
        var length = histogram.EncodeIntoCompressedByteBuffer(buffer);
        var bytes = new byte[length];
        buffer.Position = 0;
        for (var i = 0; i < length; i++)
        {
            bytes[i] = buffer.Get();
        }

        return new RapidHistogram(Convert.ToBase64String(bytes), histogram.TotalCount);
    }

    internal static LongHistogram Decode(string encoded)
    {
        var buffer = ByteBuffer.Allocate(Convert.FromBase64String(encoded));
        var decoded = HistogramEncoding.DecodeFromCompressedByteBuffer(buffer, LatencyHistogram.HighestTrackableMicroseconds);
        var histogram = new LongHistogram(1, LatencyHistogram.HighestTrackableMicroseconds, 3);
        histogram.Add(decoded);
        return histogram;
    }
}

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
