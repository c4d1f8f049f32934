namespace RapidMessageTools.Metrics;

/// <summary>The ledger's part for streamed replies: chunks go to <see cref="Streams"/>, timed from their message's send.</summary>
public sealed partial class DeliveryLedger
{
    /// <summary>Every streamed reply of the run, its chunks and its final.</summary>
    public StreamTracker Streams { get; } = new();

    /// <summary>
    /// Records an ai_response_chunk. Returns false when its message_id was never sent by this run. The time to
    /// the first chunk counts from the message's intended send time, as <see cref="Latency"/> does.
    /// </summary>
    public bool RecordChunk(string messageId, int chunkIndex, string? content, long receivedTimestamp)
    {
        long intended = 0;
        var answered = false;
        lock (_sync)
        {
            if (_entries.TryGetValue(messageId, out var entry))
            {
                intended = entry.Lost ? 0 : entry.IntendedTimestamp;
            }
            else if (_settledEntries.TryGetValue(IdHash(messageId), out var settled))
            {
                answered = settled.Answered;
            }
            else
            {
                Unexpected++;
                return false;
            }
        }

        Streams.RecordChunk(messageId, chunkIndex, content, intended, receivedTimestamp, answered);
        return true;
    }

    /// <summary>
    /// Records a final marked cancelled as the answer to its message, outside the order check: a message
    /// dropped from the queue may be answered at once, ahead of the reply still streaming before it.
    /// </summary>
    public bool RecordCancelledReply(string messageId, long receivedTimestamp, out bool settled)
    {
        settled = false;
        lock (_sync)
        {
            if (!_entries.TryGetValue(messageId, out var entry))
            {
                return RecordLateReply(messageId, markedDuplicate: false);
            }

            if (entry.Lost)
            {
                return true;
            }

            entry.Replies++;
            Answer(messageId, entry, receivedTimestamp);
            settled = true;
            return true;
        }
    }

    /// <summary>
    /// Records the final ai_response of a message: call it for the reply that settled the message
    /// (<see cref="RecordReply(string, long, bool, long, out bool)"/>), unless it was a replay marked duplicate.
    /// </summary>
    public void RecordStreamFinal(string messageId, int? chunkCount, string? content, bool cancelled) =>
        Streams.RecordFinal(messageId, chunkCount, content, cancelled);
}
