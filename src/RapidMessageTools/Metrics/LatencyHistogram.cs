using System;
using HdrHistogram;

namespace RapidMessageTools.Metrics;

/// <summary>
/// A latency histogram in microseconds (HdrHistogram, 3 significant digits, up to one hour).
/// Recording is thread-safe; values above the range are clamped to it and counted.
/// </summary>
public sealed class LatencyHistogram
{
    /// <summary>Largest value tracked: one hour in microseconds.</summary>
    public const long HighestTrackableMicroseconds = 3_600_000_000L;

    private readonly LongHistogram _histogram;
    private readonly object _sync = new();

    public LatencyHistogram() => _histogram = new LongHistogram(1, HighestTrackableMicroseconds, 3);

    internal LatencyHistogram(LongHistogram histogram) => _histogram = histogram;

    public long TotalCount
    {
        get
        {
            lock (_sync)
            {
                return _histogram.TotalCount;
            }
        }
    }

    /// <summary>Values that exceeded the range and were recorded at its top.</summary>
    public long Clamped { get; private set; }

    public void RecordMicroseconds(long microseconds)
    {
        if (microseconds < 1)
        {
            microseconds = 1;
        }

        lock (_sync)
        {
            if (microseconds > HighestTrackableMicroseconds)
            {
                microseconds = HighestTrackableMicroseconds;
                Clamped++;
            }

            _histogram.RecordValue(microseconds);
        }
    }

    /// <summary>Records the time between two <see cref="System.Diagnostics.Stopwatch"/> timestamps.</summary>
    public void RecordTicks(long fromTimestamp, long toTimestamp) =>
        RecordMicroseconds(TicksToMicroseconds(toTimestamp - fromTimestamp));

    public static long TicksToMicroseconds(long stopwatchTicks) =>
        (long)(stopwatchTicks * (1_000_000.0 / System.Diagnostics.Stopwatch.Frequency));

    public void Add(LatencyHistogram other)
    {
        if (other is null)
        {
            throw new ArgumentNullException(nameof(other));
        }

        HistogramBase copy;
        lock (other._sync)
        {
            copy = other._histogram.Copy();
        }

        lock (_sync)
        {
            _histogram.Add(copy);
            Clamped += other.Clamped;
        }
    }

    /// <summary>The latency at <paramref name="percentile"/> (0-100), in microseconds; 0 when empty.</summary>
    public long ValueAtPercentile(double percentile)
    {
        lock (_sync)
        {
            return _histogram.TotalCount == 0 ? 0 : _histogram.GetValueAtPercentile(percentile);
        }
    }

    /// <summary>Every recorded bucket: its value (microseconds, the bucket's highest equivalent value) and count.</summary>
    public System.Collections.Generic.IReadOnlyList<(long Micros, long Count)> RecordedValues()
    {
        var list = new System.Collections.Generic.List<(long, long)>();
        lock (_sync)
        {
            foreach (var v in _histogram.RecordedValues())
            {
                list.Add((v.ValueIteratedTo, v.CountAtValueIteratedTo));
            }
        }

        return list;
    }

    /// <summary>The percentile summary, in milliseconds.</summary>
    public RapidLatencySummary Summarize()
    {
        lock (_sync)
        {
            return RapidLatencySummary.From(_histogram);
        }
    }

    /// <summary>The histogram in a portable form (base64 of HdrHistogram's compressed V2 encoding).</summary>
    public RapidHistogram Export()
    {
        lock (_sync)
        {
            return RapidHistogram.Encode(_histogram);
        }
    }

    public static LatencyHistogram Import(RapidHistogram? portable) =>
        portable is null || string.IsNullOrEmpty(portable.Encoded) ? new LatencyHistogram() : new LatencyHistogram(RapidHistogram.Decode(portable.Encoded));
}
