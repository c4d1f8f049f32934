using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using HdrHistogram;

namespace RapidMessageTools.Metrics;

/// <summary>
/// Records a run interval by interval: counters per interval, and the latency of the replies that arrived in
/// it. Only the interval under way holds a live histogram; a finished interval keeps its histogram in
/// compressed form (a few hundred bytes), so an hour at one-second intervals stays within a few MB.
/// Intervals are aligned on the wall clock (multiples of the interval since midnight UTC), so timelines
/// of shards line up and merge exactly (<see cref="Merge"/>). Thread-safe.
/// </summary>
public sealed class RunTimeline
{
    private readonly object _sync = new();
    private readonly List<Slot> _slots = new();
    private readonly LongHistogram _live = new(1, LatencyHistogram.HighestTrackableMicroseconds, 3);
    private readonly long _intervalTicks;
    private readonly long _baseTimestamp;
    private readonly DateTime _baseStart;
    private readonly long _lateTolerance;
    private int _liveIndex;
    private int _open;
    private Func<DateTime, int>? _stageAt;

    /// <param name="intervalSeconds">Length of an interval (at least 0.01 s).</param>
    /// <param name="lateToleranceTicks">A send later than this (Stopwatch ticks) behind its intended time counts as late.</param>
    public RunTimeline(double intervalSeconds, long lateToleranceTicks)
        : this(intervalSeconds, lateToleranceTicks, DateTime.UtcNow, Stopwatch.GetTimestamp())
    {
    }

    /// <summary>A timeline whose clock reads <paramref name="utcNow"/> at Stopwatch time <paramref name="timestampNow"/> (tests give both).</summary>
    public RunTimeline(double intervalSeconds, long lateToleranceTicks, DateTime utcNow, long timestampNow)
    {
        if (double.IsNaN(intervalSeconds) || intervalSeconds < 0.01 || intervalSeconds > 86_400)
        {
            throw new ArgumentOutOfRangeException(nameof(intervalSeconds), intervalSeconds, "A timeline interval is between 0.01 and 86400 seconds.");
        }

        IntervalSeconds = intervalSeconds;
        _lateTolerance = lateToleranceTicks;
        _intervalTicks = Math.Max(1, (long)Math.Round(intervalSeconds * Stopwatch.Frequency));
        var dateTicks = Math.Max(1, (long)Math.Round(intervalSeconds * TimeSpan.TicksPerSecond));
        var utc = utcNow.Kind == DateTimeKind.Local ? utcNow.ToUniversalTime() : utcNow;
        var aligned = utc.Ticks - (utc.Ticks % TimeSpan.TicksPerDay % dateTicks);
        _baseStart = new DateTime(aligned, DateTimeKind.Utc);
        _baseTimestamp = timestampNow - (long)((utc.Ticks - aligned) * (Stopwatch.Frequency / (double)TimeSpan.TicksPerSecond));
    }

    public double IntervalSeconds { get; }

    /// <summary>Connections open now (as the recorder reported them).</summary>
    public int OpenConnections
    {
        get
        {
            lock (_sync)
            {
                return _open;
            }
        }
    }

    /// <summary>Gives the stage under way at a wall-clock time; entries carry it (set once the load's start is known).</summary>
    public void SetStages(Func<DateTime, int> stageAt)
    {
        lock (_sync)
        {
            _stageAt = stageAt;
        }
    }

    /// <summary>A send: counted where it left, its intended time where it was meant to leave, late when it left past the tolerance.</summary>
    public void RecordSend(long sentTimestamp, long intendedTimestamp)
    {
        lock (_sync)
        {
            var sent = SlotAt(Index(sentTimestamp));
            sent.Sent++;
            if (sentTimestamp - intendedTimestamp > _lateTolerance)
            {
                sent.Late++;
            }

            SlotAt(Index(intendedTimestamp)).Intended++;
        }
    }

    /// <summary>A first reply, and its latency in microseconds.</summary>
    public void RecordReply(long receivedTimestamp, long latencyMicroseconds)
    {
        lock (_sync)
        {
            // A reply recorded a moment after a later one (another thread) joins the interval under way.
            var index = Math.Max(Index(receivedTimestamp), _liveIndex);
            if (index > _liveIndex)
            {
                SealLive();
                _liveIndex = index;
            }

            SlotAt(index).Delivered++;
            _live.RecordValue(Math.Min(LatencyHistogram.HighestTrackableMicroseconds, Math.Max(1, latencyMicroseconds)));
        }
    }

    public void RecordRejection(long receivedTimestamp)
    {
        lock (_sync)
        {
            SlotAt(Index(receivedTimestamp)).Rejected++;
        }
    }

    /// <summary>A message never answered, counted in the interval it was meant to be sent in.</summary>
    public void RecordLost(long intendedTimestamp)
    {
        lock (_sync)
        {
            SlotAt(Index(intendedTimestamp)).Lost++;
        }
    }

    /// <summary>An error frame other than queue_full, or a connection that ended unexpectedly.</summary>
    public void RecordError(long timestamp)
    {
        lock (_sync)
        {
            SlotAt(Index(timestamp)).Errors++;
        }
    }

    public void ConnectionOpened(long timestamp)
    {
        lock (_sync)
        {
            _open++;
            var slot = SlotAt(Index(timestamp));
            slot.Connections = Math.Max(slot.Connections, _open);
        }
    }

    public void ConnectionClosed(long timestamp)
    {
        lock (_sync)
        {
            // The interval it closed in still counts it.
            SlotAt(Index(timestamp));
            _open = Math.Max(0, _open - 1);
        }
    }

    /// <summary>The last finished interval (the one before the interval under way), or null before one finished.</summary>
    public RapidTimelineEntry? LastFinished(long nowTimestamp)
    {
        lock (_sync)
        {
            var index = Index(nowTimestamp) - 1;
            if (index < 0 || index >= _slots.Count)
            {
                return null;
            }

            if (index >= _liveIndex && _live.TotalCount > 0)
            {
                // No reply has arrived since that interval ended: it still holds the live histogram.
                SealLive();
                _liveIndex = index + 1;
            }

            var entry = ToEntry(index);
            var first = _slots.FindIndex(s => !s.IsEmpty);
            entry.Elapsed = first < 0 ? 0 : Math.Round((index - first) * IntervalSeconds, 6);
            return entry;
        }
    }

    /// <summary>Every interval from the first that saw anything to the last, gaps included; finishes the interval under way.</summary>
    public RapidTimelineEntry[] ToEntries()
    {
        lock (_sync)
        {
            SealLive();
            var first = _slots.FindIndex(s => !s.IsEmpty);
            if (first < 0)
            {
                return [];
            }

            var last = _slots.FindLastIndex(s => !s.IsEmpty);
            var entries = new RapidTimelineEntry[last - first + 1];
            for (var i = first; i <= last; i++)
            {
                entries[i - first] = ToEntry(i);
                entries[i - first].Elapsed = Math.Round((i - first) * IntervalSeconds, 6);
            }

            return entries;
        }
    }

    /// <summary>
    /// Merges timelines of shards or machines: entries with the same start are added (counters summed, histograms
    /// added bucket by bucket, percentiles from the sum), gaps filled. Equals one timeline that recorded everything.
    /// </summary>
    public static RapidTimelineEntry[] Merge(IEnumerable<RapidTimelineEntry[]?> timelines)
    {
        var all = (timelines ?? []).Where(t => t is { Length: > 0 }).SelectMany(t => t!).ToList();
        if (all.Count == 0)
        {
            return [];
        }

        var intervals = all.Select(e => e.Seconds).Distinct().ToArray();
        if (intervals.Length > 1)
        {
            throw new ArgumentException(FormattableString.Invariant(
                $"Timelines with different intervals ({string.Join(", ", intervals.Select(s => s + " s"))}) cannot be merged exactly: run every shard with the same -TimelineInterval."));
        }

        var seconds = intervals[0];
        var step = TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));
        var byStart = all.GroupBy(e => e.Start.ToUniversalTime()).ToDictionary(g => g.Key, g => g.ToArray());
        var first = byStart.Keys.Min();
        var last = byStart.Keys.Max();
        var merged = new List<RapidTimelineEntry>();
        var i = 0;
        for (var start = first; start <= last; start += step, i++)
        {
            var parts = byStart.TryGetValue(start, out var found) ? found : [];
            var entry = new RapidTimelineEntry
            {
                Start = start,
                Elapsed = Math.Round(i * seconds, 6),
                Seconds = seconds,
                Stage = parts.Length == 0 ? 0 : parts.Max(p => p.Stage),
                Sent = parts.Sum(p => p.Sent),
                Intended = parts.Sum(p => p.Intended),
                LateSends = parts.Sum(p => p.LateSends),
                Delivered = parts.Sum(p => p.Delivered),
                Rejected = parts.Sum(p => p.Rejected),
                Lost = parts.Sum(p => p.Lost),
                Errors = parts.Sum(p => p.Errors),
                Connections = parts.Sum(p => p.Connections),
            };
            var histograms = parts.Select(p => p.ToHistogram()).Where(h => h.TotalCount > 0).ToArray();
            var sum = histograms.Length == 0 ? null : histograms.Length == 1 ? histograms[0] : RapidHistogram.Merge(histograms);
            entry.EncodedHistogram = sum?.Encoded ?? string.Empty;
            Finish(entry, sum?.Summarize());
            merged.Add(entry);
        }

        return merged.ToArray();
    }

    private int Index(long timestamp)
    {
        var index = (timestamp - _baseTimestamp) / _intervalTicks;
        return index < 0 ? 0 : index > int.MaxValue - 1 ? int.MaxValue - 1 : (int)index;
    }

    private Slot SlotAt(int index)
    {
        while (_slots.Count <= index)
        {
            _slots.Add(new Slot { Connections = _open });
        }

        return _slots[index];
    }

    /// <summary>Encodes the live histogram into its interval and empties it. Caller holds the lock.</summary>
    private void SealLive()
    {
        if (_live.TotalCount == 0)
        {
            return;
        }

        var slot = SlotAt(_liveIndex);
        slot.Histogram = RapidHistogram.Encode(_live).Encoded;
        slot.Summary = RapidLatencySummary.From(_live);
        _live.Reset();
    }

    private RapidTimelineEntry ToEntry(int index)
    {
        var slot = _slots[index];
        var start = _baseStart + TimeSpan.FromTicks((long)Math.Round(index * IntervalSeconds * TimeSpan.TicksPerSecond));
        var entry = new RapidTimelineEntry
        {
            Start = start,
            Seconds = IntervalSeconds,
            Stage = _stageAt?.Invoke(start + TimeSpan.FromTicks((long)(IntervalSeconds * TimeSpan.TicksPerSecond / 2))) ?? 0,
            Sent = slot.Sent,
            Intended = slot.Intended,
            LateSends = slot.Late,
            Delivered = slot.Delivered,
            Rejected = slot.Rejected,
            Lost = slot.Lost,
            Errors = slot.Errors,
            Connections = slot.Connections,
            EncodedHistogram = slot.Histogram ?? string.Empty,
        };
        Finish(entry, slot.Summary);
        return entry;
    }

    private static void Finish(RapidTimelineEntry entry, RapidLatencySummary? latency)
    {
        entry.IntendedRate = Math.Round(entry.Intended / entry.Seconds, 1);
        entry.SendRate = Math.Round(entry.Sent / entry.Seconds, 1);
        entry.DeliveredRate = Math.Round(entry.Delivered / entry.Seconds, 1);
        if (latency is not null)
        {
            entry.P50 = latency.P50;
            entry.P90 = latency.P90;
            entry.P99 = latency.P99;
            entry.Max = latency.Max;
        }
    }

    /// <summary>One interval's counters; its histogram once the interval is finished.</summary>
    private sealed class Slot
    {
        public long Sent;
        public long Intended;
        public long Late;
        public long Delivered;
        public long Rejected;
        public long Lost;
        public long Errors;
        public int Connections;
        public string? Histogram;
        public RapidLatencySummary? Summary;

        public bool IsEmpty => Sent == 0 && Intended == 0 && Delivered == 0 && Rejected == 0 && Lost == 0 && Errors == 0;
    }
}
