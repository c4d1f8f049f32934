using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Protocol;

namespace RapidMessageTools.MockServer;

/// <summary>
/// Streamed replies (-StreamChunks): each reply goes out as chunks, slices of the whole reply, then a
/// final ai_response with chunk_count; cancel stops a stream or drops a queued message; and the stream faults.
/// </summary>
internal sealed partial class MockBackend
{
    /// <summary>Text of the chunk the ChunksAfterFinal fault sends after a final.</summary>
    private const string AfterFinalText = " (after the final)";

    /// <summary>Handles cancel {message_id}: the stream stops at its next chunk, or the queued message is dropped; else unknown_message.</summary>
    private void HandleCancel(IReplySink sink, UserState user, ProtocolFrame frame)
    {
        var messageId = frame.MessageId;
        if (string.IsNullOrEmpty(messageId))
        {
            SendError(sink, ErrorCode.InvalidMessage, "cancel needs \"message_id\" (string): the message whose reply to stop.", null, frame.RequestId);
            return;
        }

        var found = false;
        lock (user.Sync)
        {
            foreach (var agent in user.Agents.Values)
            {
                if (agent.Current is { } run && string.Equals(run.Item.MessageId, messageId, StringComparison.Ordinal) && !run.CancelRequested)
                {
                    found = true;
                    if (!_fault.IgnoreCancel)
                    {
                        run.CancelRequested = true;
                        agent.DropNext |= _fault.CancelDropsNext;
                    }

                    break;
                }

                if (agent.IsQueued(messageId!))
                {
                    found = true;
                    if (!_fault.IgnoreCancel)
                    {
                        (agent.CancelledQueued ??= new HashSet<string>(StringComparer.Ordinal)).Add(messageId!);
                    }

                    break;
                }
            }
        }

        if (!found)
        {
            SendError(sink, ErrorCode.UnknownMessage, $"No message \"{messageId}\" is queued or streaming for this user: it finished, was cancelled already, or was never sent.", messageId);
        }
        else if (!_fault.IgnoreCancel)
        {
            Interlocked.Increment(ref _counters.Cancels);
        }
    }

    /// <summary>
    /// The worker of a streaming agent: one message at a time, in queue order; each stream starts one response delay
    /// after its message arrived or after the previous stream ended, whichever is later.
    /// </summary>
    private async Task StreamAgentAsync(AgentQueue agent)
    {
        try
        {
            long due;
            while ((due = NextDeadline(agent, Stopwatch.GetTimestamp())) != 0)
            {
                await WaitUntilAsync(due).ConfigureAwait(false);
                await StreamHeadAsync(agent).ConfigureAwait(false);
            }
        }
        catch (Exception)
        {
            lock (agent.User.Sync)
            {
                agent.Current = null;
            }

            StopWorker(agent);
        }
    }

    /// <summary>Streams the reply of the message at the head of the queue. Returns false when the queue is empty and the worker stops.</summary>
    private async Task<bool> StreamHeadAsync(AgentQueue agent)
    {
        var user = agent.User;
        WorkItem item;
        StreamRun run;
        long count;
        lock (user.Sync)
        {
            if (!TryTakeHead(agent, out item))
            {
                return false;
            }

            if (SkipHead(agent, item, out var skipped))
            {
                SendSkipped(item, skipped.Final ?? [], skipped.Waiters);
                return true;
            }

            count = Advance(agent, item);
            run = new StreamRun(item, FrameWriter.ResponsePrefix + item.Content);
            agent.Current = run;
        }

        var n = _options.StreamChunks;
        var plan = DrawPlan(n);
        byte[]? held = null;
        for (var k = 0; k < n; k++)
        {
            if (k > 0)
            {
                var wait = _options.ChunkInterval + (k == plan.StallBefore ? _fault.StallDelay : 0);
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds(wait), _stopping).ConfigureAwait(false);
                }
            }

            if (k == plan.CutAt)
            {
                break;
            }

            // The cancel check, the send and the count are one step, so a cancelled final counts every chunk sent.
            lock (user.Sync)
            {
                if (run.CancelRequested)
                {
                    break;
                }

                var chunk = ChunkFrame(run, agent, k, n);
                if (k == plan.Swap)
                {
                    held = chunk;
                }
                else if (k != plan.Drop)
                {
                    SendChunk(item.Sink, chunk);
                    if (k == plan.Duplicate)
                    {
                        SendChunk(item.Sink, chunk);
                    }
                }

                if (held is not null && k == plan.Swap + 1)
                {
                    SendChunk(item.Sink, held);
                    held = null;
                }

                run.Sent = k + 1;
            }
        }

        Finish(agent, run, n, plan, count);
        return true;
    }

    /// <summary>Ends a stream: its final frame (unless a fault withholds it), replays to waiting repeats, state_update to other connections.</summary>
    private void Finish(AgentQueue agent, StreamRun run, int n, StreamPlan plan, long count)
    {
        var user = agent.User;
        var item = run.Item;
        List<IReplySink>? waiters;
        IReplySink[] others;
        lock (user.Sync)
        {
            agent.Current = null;
            var cancelled = run.CancelRequested;
            var ended = cancelled || plan.CutAt >= 0;
            var length = ended ? Boundary(run.Reply, run.Sent, n) : run.Reply.Length;
            var timestamp = FrameCodec.UnixNow();
            waiters = Complete(item.Entry, timestamp, run.Sent, cancelled, ended ? length : -1);
            others = user.Connections;
            if (plan.CutAt < 0 && !(cancelled && _fault.CancelWithoutFinal))
            {
                var chunkCount = run.Sent;
                if (plan.Mismatch == 1 && length > 0)
                {
                    length--;
                }
                else if (plan.Mismatch != 0)
                {
                    chunkCount++;
                }

                // Sent under the lock, so a cancel that finds no stream (unknown_message) always follows this final.
                var b = FrameBuffer.Start();
                FrameWriter.WriteFinalAiResponse(b.Writer, item.MessageId, item.SequenceId, agent.AgentId, run.Reply.AsSpan(0, length), timestamp, duplicate: false, chunkCount, cancelled);
                DeliverReply(agent, item.Sink, b.WrittenSpan, agent.Items.Count > 0);
                if (plan.AfterFinal)
                {
                    var extra = FrameBuffer.Start();
                    FrameWriter.WriteAiResponseChunk(extra.Writer, item.MessageId, item.SequenceId, agent.AgentId, AfterFinalText.AsSpan(), n);
                    SendChunk(item.Sink, extra.ToArray());
                }
            }
        }

        Interlocked.Increment(ref _counters.Processed);
        SendReplays(waiters, item.Entry);
        SendStateUpdates(user, agent, item, others, count);
    }

    private static byte[] ChunkFrame(StreamRun run, AgentQueue agent, int k, int n)
    {
        var start = Boundary(run.Reply, k, n);
        var end = Boundary(run.Reply, k + 1, n);
        var b = FrameBuffer.Start();
        FrameWriter.WriteAiResponseChunk(b.Writer, run.Item.MessageId, run.Item.SequenceId, agent.AgentId, run.Reply.AsSpan(start, end - start), k);
        return b.ToArray();
    }

    private void SendChunk(IReplySink sink, byte[] frame)
    {
        Interlocked.Increment(ref _counters.ChunksSent);
        Send(sink, frame);
    }

    /// <summary>Where chunk <paramref name="index"/> of <paramref name="count"/> starts in <paramref name="reply"/>: equal slices, never inside a surrogate pair.</summary>
    internal static int Boundary(string reply, int index, int count)
    {
        if (index >= count)
        {
            return reply.Length;
        }

        var pos = (int)((long)reply.Length * index / count);
        if (pos > 0 && pos < reply.Length && char.IsLowSurrogate(reply[pos]) && char.IsHighSurrogate(reply[pos - 1]))
        {
            pos++;
        }

        return pos;
    }

    /// <summary>A replayed duplicate of a streamed (or cancelled) reply: the final frame only, as first sent.</summary>
    private void SendStreamedReplay(IReplySink sink, IdempotencyEntry entry)
    {
        var reply = FrameWriter.ResponsePrefix + entry.Content;
        var length = entry.ReplyLength < 0 ? reply.Length : Math.Min(entry.ReplyLength, reply.Length);
        var b = FrameBuffer.Start();
        FrameWriter.WriteFinalAiResponse(b.Writer, entry.MessageId, entry.SequenceId, entry.AgentId, reply.AsSpan(0, length), entry.Timestamp, duplicate: true, entry.ChunkCount, entry.Cancelled);
        Send(sink, b.ToArray());
    }

    /// <summary>Draws which stream faults hit this stream, and where.</summary>
    private StreamPlan DrawPlan(int n)
    {
        if (!_fault.AnyStreamFault)
        {
            return StreamPlan.None;
        }

        var plan = StreamPlan.None;
        if (Chance(_fault.DropChunk))
        {
            plan.Drop = NextInt(n);
        }

        if (n >= 2 && Chance(_fault.ReorderChunks))
        {
            plan.Swap = NextInt(n - 1);
        }

        if (Chance(_fault.DuplicateChunk))
        {
            plan.Duplicate = NextInt(n);
        }

        if (Chance(_fault.CutStream))
        {
            plan.CutAt = 1 + NextInt(n); // at least one chunk, so the stream is seen; n = every chunk, no final
        }

        if (Chance(_fault.FinalMismatch))
        {
            plan.Mismatch = 1 + NextInt(2);
        }

        if (n >= 2 && Chance(_fault.StallStreams))
        {
            plan.StallBefore = 1 + NextInt(n - 1);
        }

        plan.AfterFinal = Chance(_fault.ChunksAfterFinal);
        return plan;
    }

    private int NextInt(int max)
    {
        lock (_random)
        {
            return _random.Next(max);
        }
    }

    /// <summary>Where the stream faults hit one stream; -1 = nowhere.</summary>
    private struct StreamPlan
    {
        public static readonly StreamPlan None = new() { Drop = -1, Swap = -1, Duplicate = -1, CutAt = -1, StallBefore = -1 };

        public int Drop;
        public int Swap;
        public int Duplicate;
        public int CutAt;
        public int StallBefore;

        /// <summary>0 = none, 1 = content one character short, 2 = chunk_count one too high.</summary>
        public int Mismatch;
        public bool AfterFinal;
    }
}
