using System;
using System.Collections.Generic;
using System.Threading;
using RapidMessageTools.Protocol;

namespace RapidMessageTools.MockServer;

/// <summary>
/// The head of an agent's queue, shared by the plain worker (MockBackend.RunAgentAsync) and the streaming one:
/// taking it, skipping a message a cancel dropped, and answering the repeats that waited for it.
/// </summary>
internal sealed partial class MockBackend
{
    /// <summary>Takes the message at the head of the queue (under the user's lock); false, and the worker stops, when the queue is empty.</summary>
    private bool TryTakeHead(AgentQueue agent, out WorkItem item)
    {
        if (agent.Items.Count == 0)
        {
            agent.Running = false;
            item = default!;
            return false;
        }

        item = agent.Items.Dequeue();
        Interlocked.Decrement(ref _counters.Queued);
        return true;
    }

    /// <summary>
    /// At the head of a queue: true when the message is not processed, because a cancel dropped it (its
    /// cancelled final, chunk_count 0, in <paramref name="skipped"/>) or the CancelDropsNext fault drops it. Caller holds the user's lock.
    /// </summary>
    private bool SkipHead(AgentQueue agent, WorkItem item, out SkippedHead skipped)
    {
        skipped = default;
        if (agent.CancelledQueued is { Count: > 0 } cancelled && cancelled.Remove(item.MessageId))
        {
            var timestamp = FrameCodec.UnixNow();
            var waiters = Complete(item.Entry, timestamp, chunkCount: 0, cancelled: true, replyLength: 0);
            byte[]? final = null;
            if (!_fault.CancelWithoutFinal)
            {
                var b = FrameBuffer.Start();
                FrameWriter.WriteFinalAiResponse(b.Writer, item.MessageId, item.SequenceId, agent.AgentId, ReadOnlySpan<char>.Empty, timestamp, duplicate: false, chunkCount: 0, cancelled: true);
                final = b.ToArray();
            }

            skipped = new SkippedHead(final, waiters);
            return true;
        }

        if (agent.DropNext)
        {
            agent.DropNext = false;
            Interlocked.Increment(ref _counters.Dropped);
            return true;
        }

        return false;
    }

    private void SendSkipped(WorkItem item, ReadOnlySpan<byte> final, List<IReplySink>? waiters)
    {
        if (final.Length > 0)
        {
            Send(item.Sink, final);
        }

        SendReplays(waiters, item.Entry);
    }

    /// <summary>A head message not processed: its cancelled final (null when none is sent) and the repeats waiting for it.</summary>
    private readonly record struct SkippedHead(byte[]? Final, List<IReplySink>? Waiters);
}
