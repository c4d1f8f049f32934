using System;
using System.Collections.Generic;
using System.Globalization;

namespace RapidMessageTools.Metrics;

/// <summary>
/// Follows every streamed reply of a run, correlated by message_id: its chunks (ai_response_chunk) and
/// its final ai_response. Measures time to the first chunk and the gaps between chunks; finds chunks
/// missing, out of order or repeated, finals that disagree with their chunks, chunks after the final,
/// and streams that never got their final. Replies that do not stream pass through untouched.
/// </summary>
public sealed class StreamTracker
{
    private const int MaxExamples = 3;

    private readonly object _sync = new();
    private readonly Dictionary<string, StreamState> _open = new(StringComparer.Ordinal);

    /// <summary>From the (intended) send to the first chunk of each stream.</summary>
    public LatencyHistogram FirstChunk { get; } = new();

    /// <summary>Between consecutive chunks of one stream, as received.</summary>
    public LatencyHistogram Gap { get; } = new();

    /// <summary>Chunk frames received for this run's messages.</summary>
    public long Chunks { get; private set; }

    /// <summary>Streams that ended with an ordinary final.</summary>
    public long Completed { get; private set; }

    /// <summary>Streams that ended with a final marked cancelled.</summary>
    public long Cancelled { get; private set; }

    /// <summary>Streams with chunks and no final by <see cref="CloseCut"/>.</summary>
    public long Cut { get; private set; }

    /// <summary>Streams whose final counted chunks that never came (a gap in chunk_index, or trailing chunks missing).</summary>
    public long Incomplete { get; private set; }

    /// <summary>Chunks that came after a chunk with a higher chunk_index of the same stream.</summary>
    public long OutOfOrder { get; private set; }

    /// <summary>Chunks whose chunk_index had come before.</summary>
    public long DuplicateChunks { get; private set; }

    /// <summary>Finals whose content or chunk_count disagrees with the chunks that came (all of them present).</summary>
    public long FinalMismatches { get; private set; }

    /// <summary>Chunks of a message whose final had come.</summary>
    public long AfterFinal { get; private set; }

    /// <summary>Whether any stream was seen (a chunk, or a final with chunk_count).</summary>
    public bool Seen { get; private set; }

    public List<string> IncompleteExamples { get; } = new();

    public List<string> OrderExamples { get; } = new();

    public List<string> DuplicateExamples { get; } = new();

    public List<string> MismatchExamples { get; } = new();

    public List<string> AfterFinalExamples { get; } = new();

    public List<string> CutExamples { get; } = new();

    /// <summary>
    /// Records a chunk. <paramref name="sentTimestamp"/> is the message's (intended) send time, Stopwatch
    /// ticks, 0 when unknown (the first-chunk latency is then not recorded). <paramref name="answered"/>: the
    /// message already had its final (or another answer), so a chunk that opens no stream comes after it.
    /// </summary>
    public void RecordChunk(string messageId, int chunkIndex, string? content, long sentTimestamp, long receivedTimestamp, bool answered)
    {
        lock (_sync)
        {
            Seen = true;
            Chunks++;
            if (!_open.TryGetValue(messageId, out var s))
            {
                if (answered)
                {
                    AfterFinal++;
                    Example(AfterFinalExamples, Invariant($"{messageId} chunk {chunkIndex}"));
                    return;
                }

                s = new StreamState();
                _open[messageId] = s;
                if (sentTimestamp != 0)
                {
                    FirstChunk.RecordTicks(sentTimestamp, receivedTimestamp);
                }
            }
            else
            {
                Gap.RecordTicks(s.LastArrival, receivedTimestamp);
            }

            s.LastArrival = receivedTimestamp;
            if (chunkIndex < s.HighestIndex)
            {
                OutOfOrder++;
                Example(OrderExamples, Invariant($"{messageId} chunk {chunkIndex} after {s.HighestIndex}"));
            }

            if (!s.Add(chunkIndex, content ?? string.Empty))
            {
                DuplicateChunks++;
                Example(DuplicateExamples, Invariant($"{messageId} chunk {chunkIndex}"));
            }
        }
    }

    /// <summary>
    /// Records the final ai_response that answered a message (not a replay marked duplicate, not a second
    /// reply). A final without chunk_count whose message had no chunks is an ordinary reply and changes nothing.
    /// </summary>
    public void RecordFinal(string messageId, int? chunkCount, string? content, bool cancelled)
    {
        lock (_sync)
        {
            if (!_open.TryGetValue(messageId, out var s))
            {
                if (chunkCount is null)
                {
                    return;
                }

                s = new StreamState();
            }
            else
            {
                _open.Remove(messageId);
            }

            Seen = true;
            if (cancelled)
            {
                Cancelled++;
            }
            else
            {
                Completed++;
            }

            Judge(messageId, s, chunkCount, content ?? string.Empty);
        }
    }

    /// <summary>Counts the streams still without a final as cut. Returns how many.</summary>
    public long CloseCut()
    {
        lock (_sync)
        {
            foreach (var kv in _open)
            {
                Cut++;
                Example(CutExamples, Invariant($"{kv.Key} after {kv.Value.Received} chunks"));
            }

            _open.Clear();
            return Cut;
        }
    }

    /// <summary>Stops following a stream whose missing final another check has named (it is then not counted cut).</summary>
    public void Forget(string messageId)
    {
        lock (_sync)
        {
            _open.Remove(messageId);
        }
    }

    /// <summary>Chunks received so far for a message whose final has not come; 0 when none.</summary>
    public int ChunksReceived(string messageId)
    {
        lock (_sync)
        {
            return _open.TryGetValue(messageId, out var s) ? s.Received : 0;
        }
    }

    /// <summary>
    /// Compares the final with the chunks that came. A missing chunk (a gap in chunk_index, or fewer chunks
    /// than chunk_count while the final's content holds more than they do) makes the stream incomplete; with
    /// every chunk present, a different content or chunk_count is a mismatch. Caller holds the lock.
    /// </summary>
    private void Judge(string messageId, StreamState s, int? chunkCount, string content)
    {
        var contiguous = s.ContiguousCount();
        var highest = s.HighestIndex + 1;
        if (contiguous < highest)
        {
            Incomplete++;
            Example(IncompleteExamples, Invariant($"{messageId}: chunk {contiguous} of {Math.Max(highest, chunkCount ?? 0)} never came"));
            return;
        }

        var joinedMatches = s.JoinedEquals(content);
        if (chunkCount is null)
        {
            FinalMismatches++;
            Example(MismatchExamples, Invariant($"{messageId}: final without chunk_count after {highest} chunks"));
            return;
        }

        if (chunkCount.Value > highest && !joinedMatches)
        {
            Incomplete++;
            Example(IncompleteExamples, Invariant($"{messageId}: {highest} of {chunkCount.Value} chunks came"));
            return;
        }

        if (chunkCount.Value != highest)
        {
            FinalMismatches++;
            Example(MismatchExamples, Invariant($"{messageId}: chunk_count {chunkCount.Value}, {highest} chunks came"));
        }
        else if (!joinedMatches)
        {
            FinalMismatches++;
            Example(MismatchExamples, Invariant($"{messageId}: final content ({content.Length} chars) is not its {highest} chunks joined"));
        }
    }

    private static void Example(List<string> list, string text)
    {
        if (list.Count < MaxExamples)
        {
            list.Add(text);
        }
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>One open stream: its chunks' contents by index and when the last one came.</summary>
    private sealed class StreamState
    {
        /// <summary>Chunk indexes from here on are counted but not stored, so a wild chunk_index cannot take the memory.</summary>
        private const int MaxStoredIndex = 1 << 20;

        private readonly List<string?> _contents = new();

        public long LastArrival { get; set; }

        public int HighestIndex { get; private set; } = -1;

        public int Received { get; private set; }

        /// <summary>Stores a chunk; false when its index had come before.</summary>
        public bool Add(int index, string content)
        {
            Received++;
            HighestIndex = Math.Max(HighestIndex, index);
            if (index >= MaxStoredIndex)
            {
                return true;
            }

            while (_contents.Count <= index)
            {
                _contents.Add(null);
            }

            if (_contents[index] is not null)
            {
                return false;
            }

            _contents[index] = content;
            return true;
        }

        /// <summary>How many chunks from index 0 came without a gap.</summary>
        public int ContiguousCount()
        {
            var n = 0;
            while (n < _contents.Count && _contents[n] is not null)
            {
                n++;
            }

            return n;
        }

        /// <summary>Whether the chunks' contents, in index order, make <paramref name="content"/> (compared in place, not concatenated).</summary>
        public bool JoinedEquals(string content)
        {
            var pos = 0;
            foreach (var part in _contents)
            {
                if (part is null)
                {
                    return false;
                }

                if (pos + part.Length > content.Length || string.CompareOrdinal(content, pos, part, 0, part.Length) != 0)
                {
                    return false;
                }

                pos += part.Length;
            }

            return pos == content.Length;
        }
    }
}
