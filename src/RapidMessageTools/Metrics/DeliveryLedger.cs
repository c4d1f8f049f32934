using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace RapidMessageTools.Metrics;

/// <summary>
/// Accounts for every message of a run: sent, answered (first reply), answered again (duplicates),
/// replayed (marked duplicate), rejected, or still outstanding; checks reply order per stream
/// (a connection and agent), and records latency into histograms: from the intended send time
/// (<see cref="Latency"/>) and from the actual send (<see cref="Service"/>). Streamed replies: DeliveryLedger.Streams.cs.
/// </summary>
public sealed partial class DeliveryLedger
{
    /// <summary>
    /// Settled messages remembered (to tell a late duplicate reply from an unexpected one). Older ones are
    /// forgotten, so a run of millions of messages holds bounded memory. A settled message is kept as a
    /// 64-bit hash of its id and its counts (about 50 bytes), not as its id and timestamps.
    /// </summary>
    public const int SettledWindow = 32_768;

    private readonly object _sync = new();

    // Messages not yet answered or rejected (and those lost with their connection).
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<ulong, SettledEntry> _settledEntries = new();
    private readonly Queue<ulong> _settledOrder = new();
    private readonly Dictionary<MessageStream, long> _lastSequence = new();
    private TaskCompletionSource<bool> _settled = NewSignal();
    private long _outstanding;

    public LatencyHistogram Latency { get; } = new();

    public LatencyHistogram Service { get; } = new();

    /// <summary>Where sends, answers and losses are also counted interval by interval; null records no timeline. Set before the first send.</summary>
    public RunTimeline? Timeline { get; set; }

    /// <summary>user_message frames sent, repeats included.</summary>
    public long Sent { get; private set; }

    public long Distinct { get; private set; }

    public long Delivered { get; private set; }

    public long Rejected { get; private set; }

    /// <summary>Extra replies for an already-answered message that were not marked duplicate.</summary>
    public long DuplicateReplies { get; private set; }

    /// <summary>Replies marked duplicate (idempotent replays).</summary>
    public long Replays { get; private set; }

    public long OutOfOrder { get; private set; }

    /// <summary>Replies whose message_id this run never sent.</summary>
    public long Unexpected { get; private set; }

    /// <summary>Time of the last reply or rejection, Stopwatch ticks; 0 before any.</summary>
    public long LastAnswerTimestamp { get; private set; }

    public long FirstSendTimestamp { get; private set; }

    /// <summary>Examples of what went wrong, for violation messages (a few of each).</summary>
    public List<string> OrderExamples { get; } = new();

    public List<string> DuplicateExamples { get; } = new();

    public long Outstanding => Interlocked.Read(ref _outstanding);

    /// <summary>Messages given up because the connection they were sent on ended (their replies can no longer come).</summary>
    public long Abandoned { get; private set; }

    /// <summary>Messages with no answer: still outstanding, or abandoned with their connection.</summary>
    public long Unanswered => Outstanding + Abandoned;

    /// <summary>
    /// Gives up every unanswered message sent on connection <paramref name="connectionId"/> (one that ended). Later waits then do not stall on answers that cannot come. A lost message is
    /// counted as lost, not as a latency sample: its "latency" would only be the timeout.
    /// </summary>
    public long Abandon(long connectionId)
    {
        long n = 0;
        lock (_sync)
        {
            foreach (var entry in _entries.Values)
            {
                if (!entry.Lost && entry.Stream.ConnectionId == connectionId)
                {
                    entry.Lost = true;
                    n++;
                    Timeline?.RecordLost(entry.IntendedTimestamp);
                    Settle();
                }
            }

            Abandoned += n;
        }

        return n;
    }

    /// <summary>Records a send. <paramref name="intendedTimestamp"/> is the scheduled time at a fixed rate, else the actual send time.</summary>
    public void RecordSend(string messageId, long sequenceId, MessageStream stream, long sentTimestamp, long intendedTimestamp)
    {
        lock (_sync)
        {
            Sent++;
            Timeline?.RecordSend(sentTimestamp, intendedTimestamp);
            if (FirstSendTimestamp == 0)
            {
                FirstSendTimestamp = intendedTimestamp;
            }

            if (_entries.TryGetValue(messageId, out var entry))
            {
                entry.Sends++;
                return;
            }

            var key = IdHash(messageId);
            if (_settledEntries.TryGetValue(key, out var settled))
            {
                settled.Sends++;
                _settledEntries[key] = settled;
                return;
            }

            _entries[messageId] = new Entry(key, stream, sentTimestamp, intendedTimestamp);
            Distinct++;
            if (Interlocked.Increment(ref _outstanding) == 1 && _settled.Task.IsCompleted)
            {
                _settled = NewSignal();
            }
        }
    }

    /// <summary>Records an ai_response. Returns false when its message_id was never sent by this run.</summary>
    public bool RecordReply(string messageId, long sequenceId, bool markedDuplicate, long receivedTimestamp) =>
        RecordReply(messageId, sequenceId, markedDuplicate, receivedTimestamp, out _);

    /// <summary>As above; <paramref name="settled"/> tells whether this reply settled its message (the first answer).</summary>
    public bool RecordReply(string messageId, long sequenceId, bool markedDuplicate, long receivedTimestamp, out bool settled)
    {
        settled = false;
        lock (_sync)
        {
            if (!_entries.TryGetValue(messageId, out var entry))
            {
                return RecordLateReply(messageId, markedDuplicate);
            }

            if (entry.Lost)
            {
                // Its connection ended and it was counted lost; a reply elsewhere changes nothing.
                return true;
            }

            if (markedDuplicate)
            {
                // A replay before the original reply still answers the message.
                Replays++;
                entry.Replays++;
                Answer(messageId, entry, receivedTimestamp);
                settled = true;
                return true;
            }

            entry.Replies++;
            if (_lastSequence.TryGetValue(entry.Stream, out var last) && sequenceId < last)
            {
                OutOfOrder++;
                if (OrderExamples.Count < 3)
                {
                    OrderExamples.Add(FormattableString.Invariant($"sequence {sequenceId} after {last}"));
                }
            }
            else
            {
                _lastSequence[entry.Stream] = sequenceId;
            }

            Answer(messageId, entry, receivedTimestamp);
            settled = true;
            return true;
        }
    }

    /// <summary>A reply for a message already settled (or never sent). Caller holds the lock.</summary>
    private bool RecordLateReply(string messageId, bool markedDuplicate)
    {
        var key = IdHash(messageId);
        if (!_settledEntries.TryGetValue(key, out var settled))
        {
            Unexpected++;
            return false;
        }

        if (markedDuplicate)
        {
            Replays++;
            settled.Replays++;
        }
        else
        {
            settled.Replies++;
            if (settled.Answered && settled.Replies > 1)
            {
                DuplicateReplies++;
                if (DuplicateExamples.Count < 3)
                {
                    DuplicateExamples.Add(messageId);
                }
            }
        }

        _settledEntries[key] = settled;
        return true;
    }

    /// <summary>Records a rejection (queue_full or another error naming the message).</summary>
    public bool RecordRejection(string messageId, long receivedTimestamp) => RecordRejection(messageId, receivedTimestamp, out _);

    /// <summary>As above; <paramref name="settled"/> tells whether this rejection settled its message.</summary>
    public bool RecordRejection(string messageId, long receivedTimestamp, out bool settled)
    {
        settled = false;
        lock (_sync)
        {
            if (!_entries.TryGetValue(messageId, out var entry))
            {
                if (_settledEntries.ContainsKey(IdHash(messageId)))
                {
                    return true;
                }

                Unexpected++;
                return false;
            }

            if (entry.Lost)
            {
                return true;
            }

            Forget(messageId, entry, rejected: true);
            settled = true;
            Rejected++;
            Timeline?.RecordRejection(receivedTimestamp);
            LastAnswerTimestamp = receivedTimestamp;
            Settle();
            return true;
        }
    }

    /// <summary>Waits until every message is answered or rejected, or <paramref name="timeout"/> passes. True when all settled.</summary>
    public async Task<bool> WaitSettledAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task settled;
        lock (_sync)
        {
            if (_outstanding == 0)
            {
                return true;
            }

            settled = _settled.Task;
        }

        var delay = Task.Delay(timeout, cancellationToken);
        var done = await Task.WhenAny(settled, delay).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return done == settled || Outstanding == 0;
    }

    /// <summary>The message ids still outstanding (at most <paramref name="max"/>).</summary>
    public IReadOnlyList<string> OutstandingIds(int max)
    {
        var list = new List<string>();
        lock (_sync)
        {
            foreach (var kv in _entries)
            {
                {
                    list.Add(kv.Value.Lost ? kv.Key + " (connection ended)" : kv.Key);
                    if (list.Count >= max)
                    {
                        break;
                    }
                }
            }
        }

        return list;
    }

    /// <summary>Counts every outstanding message as lost. Lost messages are not latency samples (their "latency" would be the timeout): they count in Lost and MissingReply.</summary>
    public long CloseOutstanding()
    {
        long lost = Abandoned;
        lock (_sync)
        {
            foreach (var entry in _entries.Values)
            {
                if (!entry.Lost)
                {
                    entry.Lost = true;
                    lost++;
                    Timeline?.RecordLost(entry.IntendedTimestamp);
                    Settle();
                }
            }
        }

        return lost;
    }

    /// <summary>Whether a message was answered or rejected.</summary>
    /// <summary>Whether a message of this run still waits for its answer (sent, not settled, not counted lost).</summary>
    public bool IsOutstanding(string messageId)
    {
        lock (_sync)
        {
            return _entries.TryGetValue(messageId, out var entry) && !entry.Lost;
        }
    }

    public bool IsSettled(string messageId)
    {
        lock (_sync)
        {
            return !_entries.ContainsKey(messageId) && _settledEntries.ContainsKey(IdHash(messageId));
        }
    }

    /// <summary>Whether a message was answered (by reply or replay).</summary>
    public bool IsAnswered(string messageId)
    {
        lock (_sync)
        {
            return !_entries.ContainsKey(messageId) && _settledEntries.TryGetValue(IdHash(messageId), out var s) && s.Answered;
        }
    }

    /// <summary>Count of messages answered by a non-duplicate reply more than once.</summary>
    public long MessagesAnsweredTwice()
    {
        long n = 0;
        lock (_sync)
        {
            foreach (var e in _settledEntries.Values)
            {
                if (e.Replies > 1)
                {
                    n++;
                }
            }
        }

        return n;
    }

    /// <summary>Messages sent more than once whose every reply was non-duplicate (the repeat was processed again).</summary>
    public long RepeatsNotMarked()
    {
        long n = 0;
        lock (_sync)
        {
            foreach (var e in _entries.Values)
            {
                if (e.Sends > 1 && e.Replays == 0 && e.Replies >= e.Sends)
                {
                    n++;
                }
            }

            foreach (var e in _settledEntries.Values)
            {
                if (e.Sends > 1 && e.Replays == 0 && e.Replies >= e.Sends)
                {
                    n++;
                }
            }
        }

        return n;
    }

    /// <summary>FNV-1a over the id's UTF-16 code units: 64 bits, so 32,768 remembered ids collide with odds of about 1 in 30 billion.</summary>
    internal static ulong IdHash(string messageId)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in messageId)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }

    /// <summary>Moves a message from the outstanding entries to the settled window; forgets the oldest beyond it. Caller holds the lock.</summary>
    private void Forget(string messageId, Entry entry, bool rejected)
    {
        _entries.Remove(messageId);
        var key = entry.Key;
        _settledEntries[key] = new SettledEntry
        {
            Sends = entry.Sends,
            Replies = entry.Replies,
            Replays = entry.Replays,
            Answered = !rejected,
        };
        _settledOrder.Enqueue(key);
        while (_settledOrder.Count > SettledWindow)
        {
            _settledEntries.Remove(_settledOrder.Dequeue());
        }
    }

    private void Answer(string messageId, Entry entry, long receivedTimestamp)
    {
        Forget(messageId, entry, rejected: false);
        Delivered++;
        LastAnswerTimestamp = receivedTimestamp;
        Latency.RecordTicks(entry.IntendedTimestamp, receivedTimestamp);
        Service.RecordTicks(entry.SentTimestamp, receivedTimestamp);
        Timeline?.RecordReply(receivedTimestamp, LatencyHistogram.TicksToMicroseconds(receivedTimestamp - entry.IntendedTimestamp));
        Settle();
    }

    private void Settle()
    {
        if (Interlocked.Decrement(ref _outstanding) == 0)
        {
            _settled.TrySetResult(true);
        }
    }

    private static TaskCompletionSource<bool> NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A message not yet settled: what latency and order need.</summary>
    private sealed class Entry(ulong key, MessageStream stream, long sentTimestamp, long intendedTimestamp)
    {
        /// <summary>The id's hash, computed once at the send; the settled window is keyed by it.</summary>
        public ulong Key { get; } = key;
        public MessageStream Stream { get; } = stream;
        public long SentTimestamp { get; } = sentTimestamp;
        public long IntendedTimestamp { get; } = intendedTimestamp;
        public int Sends { get; set; } = 1;
        public int Replies { get; set; }
        public int Replays { get; set; }
        public bool Lost { get; set; }
    }

    /// <summary>A settled message: only the counts later replies and repeats change.</summary>
    private struct SettledEntry
    {
        public int Sends;
        public int Replies;
        public int Replays;
        public bool Answered;
    }
}
