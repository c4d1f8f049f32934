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
