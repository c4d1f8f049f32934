using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Protocol;

namespace RapidMessageTools.MockServer;

/// <summary>
/// The mock's semantics, apart from any transport: per-(user, agent) FIFO queues with one worker
/// each, backpressure, idempotency, real agent and queue state, state_update fan-out, and faults.
/// Streamed replies and cancel are in MockBackend.Streaming.cs.
/// </summary>
internal sealed partial class MockBackend
{
    private const string DefaultAgent = "default";
    private const string SharedUser = "shared-state";

    // Messages a connection's reading thread processes for an agent before a pool thread takes the rest.
    private const int InlineLimit = 32;

    private readonly MockServerOptions _options;
    private readonly MockFaultSettings _fault;
    private readonly MockServerCounters _counters;
    private readonly ConcurrentDictionary<string, UserState> _users = new(StringComparer.Ordinal);
    private readonly Random _random;
    private readonly CancellationToken _stopping;
    private readonly bool _hasDelay;
    private readonly bool _streaming;

    [ThreadStatic]
    private static ProtocolFrame? _decoded;

    public MockBackend(MockServerOptions options, MockServerCounters counters, CancellationToken stopping)
    {
        _options = options;
        _fault = options.Fault;
        _counters = counters;
        _stopping = stopping;
        _random = new Random(_fault.Seed);
        _streaming = options.StreamChunks > 0;
        _hasDelay = options.ResponseDelay > 0 || options.ResponseJitter > 0 || _fault.LatencyOutliers > 0;
    }

    public int UserCount => _users.Count;

    public UserState GetUser(string userId) =>
        _users.GetOrAdd(_fault.LeakState ? SharedUser : userId, id => new UserState(id));

    /// <summary>Handles one text frame from <paramref name="sink"/>, a connection of <paramref name="user"/>. Returns true when it was a user_message.</summary>
    public bool HandleText(IReplySink sink, UserState user, ReadOnlySpan<byte> utf8)
    {
        // One frame per thread, decoded into afresh: the backend copies what it keeps, so no frame outlives this call.
        var frame = _decoded ??= new ProtocolFrame();
        var status = FrameCodec.TryDecode(utf8, frame, user.LastAgentId);
        if (status == DecodeStatus.InvalidJson)
        {
            SendError(sink, ErrorCode.InvalidJson, "The frame is not valid JSON: send one JSON object per text frame.", null);
            return false;
        }

        if (status == DecodeStatus.NotAnObject)
        {
            SendError(sink, ErrorCode.InvalidMessage, "The frame must be a JSON object with a \"type\" field.", null);
            return false;
        }

        return HandleFrame(sink, user, frame);
    }

    /// <summary>Handles one decoded (canonical) frame; a profile's session decodes its wire shape into one. Returns true when it was a user_message.</summary>
    public bool HandleFrame(IReplySink sink, UserState user, ProtocolFrame frame)
    {
        if (frame.InvalidField is not null)
        {
            SendError(sink, ErrorCode.InvalidMessage, $"Field \"{frame.InvalidField}\" has the wrong JSON type.", frame.MessageId, frame.RequestId);
            return false;
        }

        switch (frame.Type)
        {
            case MessageType.UserMessage:
                HandleUserMessage(sink, user, frame);
                return true;
            case MessageType.GetAgentState:
                SendAgentState(sink, user, frame.AgentId ?? DefaultAgent, frame.RequestId);
                return false;
            case MessageType.GetQueueState:
                SendQueueState(sink, user, frame.AgentId, frame.RequestId);
                return false;
            case MessageType.Cancel:
                HandleCancel(sink, user, frame);
                return false;
            case MessageType.Ping:
                var b = FrameBuffer.Start();
                FrameWriter.WritePong(b.Writer, frame.RequestId);
                Send(sink, b.WrittenSpan);
                return false;
            case null:
                SendError(sink, ErrorCode.InvalidMessage, "The frame has no \"type\" field; use user_message, cancel, get_agent_state, get_queue_state or ping.", frame.MessageId, frame.RequestId);
                return false;
            default:
                SendError(sink, ErrorCode.UnknownType, $"Unknown message type \"{frame.Type}\"; use user_message, cancel, get_agent_state, get_queue_state or ping.", frame.MessageId, frame.RequestId);
                return false;
        }
    }

    /// <summary>An error frame for input that is not JSON text at all (a binary frame).</summary>
    public void RejectBinary(IReplySink sink) =>
        SendError(sink, ErrorCode.InvalidMessage, "Binary frames are not part of the protocol; send JSON as text frames.", null);

    private void HandleUserMessage(IReplySink sink, UserState user, ProtocolFrame frame)
    {
        Interlocked.Increment(ref _counters.MessagesReceived);
        if (string.IsNullOrEmpty(frame.MessageId) || frame.SequenceId is null || frame.Content is null)
        {
            var missing = string.IsNullOrEmpty(frame.MessageId) ? "message_id" : frame.SequenceId is null ? "sequence_id" : "content";
            SendError(sink, ErrorCode.InvalidMessage, $"user_message needs \"{missing}\" (message_id: string, sequence_id: integer, content: string).", frame.MessageId);
            return;
        }

        var messageId = frame.MessageId!;
        var agentId = string.IsNullOrEmpty(frame.AgentId) ? DefaultAgent : frame.AgentId!;
        AgentQueue agent;
        bool start;
        lock (user.Sync)
        {
            if (!_fault.ProcessDuplicates && user.Seen.TryGetValue(messageId, out var seen))
            {
                Interlocked.Increment(ref _counters.Duplicates);
                if (!seen.Completed)
                {
                    (seen.Waiters ??= new List<IReplySink>()).Add(sink);
                    return;
                }

                SendReplay(sink, seen);
                return;
            }

            agent = user.GetAgent(agentId);
            user.LastAgentId = agent.AgentId;
            if (agent.Items.Count >= _options.QueueCapacity)
            {
                if (_fault.DropOnOverflow)
                {
                    Interlocked.Increment(ref _counters.Dropped);
                    return;
                }

                user.RejectedTotal++;
                Interlocked.Increment(ref _counters.Rejected);
                var b = FrameBuffer.Start();
                FrameWriter.WriteQueueFull(b.Writer, messageId, agent.Items.Count, _options.QueueCapacity, RetryAfterMs(agent.Items.Count));
                Send(sink, b.WrittenSpan);
                return;
            }

            IdempotencyEntry? entry = null;
            if (!_fault.ProcessDuplicates)
            {
                entry = new IdempotencyEntry(messageId, frame.SequenceId.Value, agent.AgentId, frame.Content);
                var forgotten = user.Remember(entry, _options.IdempotencyWindow, _options.IdempotencyWindowBytes);
                if (forgotten > 0)
                {
                    Interlocked.Add(ref _counters.IdempotencyForgottenEarly, forgotten);
                }
            }

            agent.Items.Enqueue(new WorkItem(sink, messageId, frame.SequenceId.Value, frame.Content, entry, _hasDelay || _streaming ? Stopwatch.GetTimestamp() : 0));
            Interlocked.Increment(ref _counters.Queued);
            start = !agent.Running;
            agent.Running = true;
        }

        if (start)
        {
            if (_streaming)
            {
                StartStreamWorker(agent);
            }
            else if (_hasDelay)
            {
                _ = RunAgentAsync(agent);
            }
            else if (_fault.Any)
            {
                // Faults such as ReorderReplies act on a queue that holds more than one message: a pool worker, as ever.
                ThreadPool.UnsafeQueueUserWorkItem(static a => ((AgentWorkerStart)a!).Run(), new AgentWorkerStart(this, agent));
            }
            else
            {
                DrainInline(agent);
            }
        }
    }

    // Its own method: a lambda capturing `agent` in HandleUserMessage would allocate its closure on every call, streaming or not.
    private void StartStreamWorker(AgentQueue agent) => _ = Task.Run(() => StreamAgentAsync(agent));

    private long RetryAfterMs(int queued)
    {
        var perMessage = _options.ResponseDelay + (_options.ResponseJitter / 2);
        var ms = (long)Math.Ceiling(perMessage * 1000 * Math.Max(1, queued / 10));
        return Math.Max(10, ms);
    }

    private sealed class AgentWorkerStart(MockBackend backend, AgentQueue agent)
    {
        public void Run() => backend.DrainWithoutDelay(agent);
    }

    /// <summary>
    /// Zero delay, no fault, and the agent was idle: its queue is processed here, on the connection's reading thread, so the
    /// reply is written before that connection reads again (its BatchingStream sends the replies to one read's
    /// frames together) and no other thread is woken. Past <see cref="InlineLimit"/> messages (other connections
    /// keep the agent busy) the rest goes to a pool thread, so this connection's reading does not wait on theirs.
    /// </summary>
    private void DrainInline(AgentQueue agent)
    {
        try
        {
            for (var i = 0; i < InlineLimit; i++)
            {
                if (!ProcessHead(agent))
                {
                    return;
                }
            }
        }
        catch (Exception)
        {
            StopWorker(agent);
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(static a => ((AgentWorkerStart)a!).Run(), new AgentWorkerStart(this, agent));
    }

    /// <summary>Zero-delay worker: processes the queue to empty on one pool thread, no Task per message.</summary>
    private void DrainWithoutDelay(AgentQueue agent)
    {
        try
        {
            while (ProcessHead(agent))
            {
            }
        }
        catch (Exception)
        {
            StopWorker(agent);
        }
    }

    /// <summary>
    /// Worker with a response delay: one await per message, other agents unaffected. Each message is answered one
    /// delay after it arrived or after the previous message's deadline, whichever is later: a message that came
    /// while the agent was idle waits its full delay (never answered early), and within a busy spell deadlines
    /// follow each other, so a timer that fires late (a busy machine) does not lower the agent's rate, and N
    /// busy agents hold N / ResponseDelay messages per second.
    /// </summary>
    private async Task RunAgentAsync(AgentQueue agent)
    {
        try
        {
            long due = 0;
            while ((due = NextDeadline(agent, due)) != 0)
            {
                await WaitUntilAsync(due).ConfigureAwait(false);
                ProcessHead(agent);
            }
        }
        catch (Exception)
        {
            StopWorker(agent);
        }
    }

    /// <summary>
    /// The deadline of the message at the head of the queue: one delay after it arrived or after
    /// <paramref name="previous"/>, whichever is later. 0, and the worker stops, when the queue is empty.
    /// </summary>
    private long NextDeadline(AgentQueue agent, long previous)
    {
        long arrived;
        lock (agent.User.Sync)
        {
            if (agent.Items.Count == 0)
            {
                agent.Running = false;
                return 0;
            }

            arrived = agent.Items.Peek().Arrived;
        }

        return Math.Max(arrived, previous) + (long)(NextDelaySeconds() * Stopwatch.Frequency);
    }

    /// <summary>Waits until the Stopwatch timestamp <paramref name="due"/>; a timer that fires early is waited out again.</summary>
    private async Task WaitUntilAsync(long due)
    {
        long wait;
        while ((wait = due - Stopwatch.GetTimestamp()) > 0)
        {
            // Task.Delay counts whole milliseconds and may fire a little early: round up, and re-check.
            var ms = (int)Math.Min(int.MaxValue, ((wait * 1000) + Stopwatch.Frequency - 1) / Stopwatch.Frequency);
            await Task.Delay(ms, _stopping).ConfigureAwait(false);
        }
    }

    private static void StopWorker(AgentQueue agent)
    {
        lock (agent.User.Sync)
        {
            agent.Running = false;
        }
    }

    private double NextDelaySeconds()
    {
        var delay = _options.ResponseDelay;
        if (_options.ResponseJitter > 0)
        {
            delay += _options.ResponseJitter * NextDouble();
        }

        if (_fault.LatencyOutliers > 0 && NextDouble() < _fault.LatencyOutliers)
        {
            delay += _fault.OutlierDelay;
        }

        return delay;
    }

    private double NextDouble()
    {
        lock (_random)
        {
            return _random.NextDouble();
        }
    }

    private bool Chance(double rate) => rate > 0 && NextDouble() < rate;

    /// <summary>Processes the message at the head of the queue. Returns false when the queue is empty and the worker stops.</summary>
    private bool ProcessHead(AgentQueue agent)
    {
        var user = agent.User;
        WorkItem item;
        // The reply's bytes in this thread's FrameBuffer (or a cancelled final's array): sent before any other frame is written here.
        ReadOnlySpan<byte> reply;
        List<IReplySink>? waiters;
        IReplySink[] others;
        long count;
        bool more;
        lock (user.Sync)
        {
            if (!TryTakeHead(agent, out item))
            {
                return false;
            }

            if (SkipHead(agent, item, out var skipped))
            {
                reply = skipped.Final;
                waiters = skipped.Waiters;
                others = [];
                count = -1;
                more = false;
            }
            else
            {
                count = Advance(agent, item);
                var timestamp = FrameCodec.UnixNow();
                var b = FrameBuffer.Start();
                FrameWriter.WriteAiResponse(b.Writer, item.MessageId, item.SequenceId, agent.AgentId, item.Content.AsSpan(), timestamp, duplicate: false);
                reply = b.WrittenSpan;
                waiters = Complete(item.Entry, timestamp, chunkCount: -1, cancelled: false, replyLength: -1);
                others = user.Connections;
                more = agent.Items.Count > 0;
            }
        }

        if (count < 0)
        {
            // Cancelled while queued (its cancelled final), or dropped by the CancelDropsNext fault (nothing).
            SendSkipped(item, reply, waiters);
            return true;
        }

        Interlocked.Increment(ref _counters.Processed);
        DeliverReply(agent, item.Sink, reply, more);
        SendReplays(waiters, item.Entry);
        SendStateUpdates(user, agent, item, others, count);
        return true;
    }

    /// <summary>Counts a message as processed by its agent: message_count, last ids and content. Returns the new count. Caller holds the user's lock.</summary>
    private long Advance(AgentQueue agent, WorkItem item)
    {
        agent.PreviousMessageId = agent.LastMessageId;
        agent.PreviousSequenceId = agent.LastSequenceId;
        agent.MessageCount++;
        agent.LastSequenceId = item.SequenceId;
        agent.LastMessageId = item.MessageId;
        agent.LastContent = item.Content;
        agent.User.ProcessedTotal++;
        return agent.MessageCount;
    }

    /// <summary>Marks a message's reply as made, so repeats replay it; returns who repeated it meanwhile. Caller holds the user's lock.</summary>
    private static List<IReplySink>? Complete(IdempotencyEntry? entry, double timestamp, int chunkCount, bool cancelled, int replyLength)
    {
        if (entry is null)
        {
            return null;
        }

        entry.Completed = true;
        entry.Timestamp = timestamp;
        entry.ChunkCount = chunkCount;
        entry.Cancelled = cancelled;
        entry.ReplyLength = replyLength;
        var waiters = entry.Waiters;
        entry.Waiters = null;
        return waiters;
    }

    private void SendReplays(List<IReplySink>? waiters, IdempotencyEntry? entry)
    {
        if (waiters is not null && entry is not null)
        {
            foreach (var w in waiters)
            {
                SendReplay(w, entry);
            }
        }
    }

    private void SendStateUpdates(UserState user, AgentQueue agent, WorkItem item, IReplySink[] others, long count)
    {
        if (!_fault.NoStateUpdate && others.Length > 1)
        {
            var b = FrameBuffer.Start();
            FrameWriter.WriteStateUpdate(b.Writer, user.UserId, agent.AgentId, count, item.MessageId);
            var update = b.WrittenSpan;
            foreach (var other in others)
            {
                if (!ReferenceEquals(other, item.Sink))
                {
                    Send(other, update);
                }
            }
        }
    }

    private void DeliverReply(AgentQueue agent, IReplySink sink, ReadOnlySpan<byte> reply, bool more)
    {
        if (Chance(_fault.DropReplies))
        {
            Interlocked.Increment(ref _counters.Dropped);
            FlushHeld(agent);
            return;
        }

        if (agent.HeldReply is { } held)
        {
            // Reorder fault: the held reply goes out after this one.
            agent.HeldReply = null;
            Send(sink, reply);
            Send(held.Sink, held.Frame);
            return;
        }

        if (more && Chance(_fault.ReorderReplies))
        {
            agent.HeldReply = (sink, reply.ToArray()); // held past this frame: its own copy
            return;
        }

        Send(sink, reply);
        if (Chance(_fault.DuplicateReplies))
        {
            Send(sink, reply);
        }
    }

    private void FlushHeld(AgentQueue agent)
    {
        if (agent.HeldReply is { } held)
        {
            agent.HeldReply = null;
            Send(held.Sink, held.Frame);
        }
    }

    private void SendReplay(IReplySink sink, IdempotencyEntry entry)
    {
        if (entry.ChunkCount >= 0)
        {
            SendStreamedReplay(sink, entry);
            return;
        }

        var b = FrameBuffer.Start();
        FrameWriter.WriteAiResponse(b.Writer, entry.MessageId, entry.SequenceId, entry.AgentId, entry.Content.AsSpan(), entry.Timestamp, duplicate: true);
        Send(sink, b.WrittenSpan);
    }

    private void SendAgentState(IReplySink sink, UserState user, string agentId, string? requestId)
    {
        AgentStateSnapshot snapshot;
        lock (user.Sync)
        {
            user.Agents.TryGetValue(agentId, out var agent);
            var count = agent?.MessageCount ?? 0;
            var lastSeq = agent?.LastSequenceId ?? 0;
            var lastId = agent?.LastMessageId;
            var corrupted = false;
            if (agent is not null && count > 0 && Chance(_fault.StaleState))
            {
                count--;
                lastSeq = agent.PreviousSequenceId;
                lastId = agent.PreviousMessageId;
            }

            if (Chance(_fault.CorruptState))
            {
                corrupted = true;
                count += 1 + _random.Next(5);
            }

            snapshot = new AgentStateSnapshot(user.UserId, agentId, count, lastSeq, lastId, "rapid_message_test", agent?.LastContent, System.Environment.WorkingSet, corrupted, FrameCodec.UnixNow());
        }

        var b = FrameBuffer.Start();
        FrameWriter.WriteAgentState(b.Writer, snapshot, requestId);
        Send(sink, b.WrittenSpan);
    }

    private void SendQueueState(IReplySink sink, UserState user, string? agentId, string? requestId)
    {
        long size = 0;
        long processed;
        long rejected;
        lock (user.Sync)
        {
            if (agentId is not null)
            {
                size = user.Agents.TryGetValue(agentId, out var agent) ? agent.Items.Count : 0;
            }
            else
            {
                // Without agent_id: the user's fullest queue, so the figure is comparable with max_capacity.
                foreach (var agent in user.Agents.Values)
                {
                    size = Math.Max(size, agent.Items.Count);
                }
            }

            processed = user.ProcessedTotal;
            rejected = user.RejectedTotal;
        }

        var b = FrameBuffer.Start();
        FrameWriter.WriteQueueState(b.Writer, requestId, agentId, size, _options.QueueCapacity, processed, rejected, FrameCodec.UnixNow());
        Send(sink, b.WrittenSpan);
    }

    private void SendError(IReplySink sink, string code, string message, string? messageId, string? requestId = null)
    {
        Interlocked.Increment(ref _counters.Errors);
        var b = FrameBuffer.Start();
        FrameWriter.WriteError(b.Writer, code, message, messageId, requestId);
        Send(sink, b.WrittenSpan);
    }

    private void Send(IReplySink sink, ReadOnlySpan<byte> frame)
    {
        Interlocked.Increment(ref _counters.FramesSent);
        sink.Send(frame);
    }
}
