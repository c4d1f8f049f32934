using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.SignalR;

namespace SignalRHub;

/// <summary>
/// The backend semantics of docs/PROTOCOL.md: per (user, agent) a FIFO queue with one worker,
/// idempotency per user, state per user shared by its connections, optional streaming and cancel,
/// and the faults of HubOptions.KnownFaults. One lock per user guards that user's state; frames
/// go out after the lock is released, each worker awaiting its sends in order.
/// </summary>
public sealed class ChatBackend(HubOptions options, IHubContext<ChatHub> hub, ILogger<ChatBackend> log)
{
    private const string ResponsePrefix = "AI response to: ";
    private const string DefaultAgent = "default";
    // PROTOCOL.md asks for at least 10,000 per user.
    private const int IdempotencyWindow = 20_000;
    private const int StaleBy = 3;

    private readonly ConcurrentDictionary<string, UserState> _users = new(StringComparer.Ordinal);
    private readonly Random _rng = new(options.Seed);
    private readonly Lock _rngLock = new();
    private readonly Stopwatch _started = Stopwatch.StartNew();
    private int _connections;

    public TimeSpan Uptime => _started.Elapsed;
    public int Connections => Volatile.Read(ref _connections);
    public void Connected() => Interlocked.Increment(ref _connections);
    public void Disconnected() => Interlocked.Decrement(ref _connections);

    public static string GroupOf(string userId) => "user:" + userId;

    public Task SendMessageAsync(string userId, string connectionId, UserMessageDto? m)
    {
        if (m is null || string.IsNullOrEmpty(m.MessageId) || m.SequenceId is null || m.Content is null)
        {
            var missing = m is null ? "a message" : string.IsNullOrEmpty(m.MessageId) ? "messageId" : m.SequenceId is null ? "sequenceId" : "content";
            return SendAsync(connectionId, "ReceiveError", new ErrorDto("invalid_message", $"SendMessage needs {missing}.") { MessageId = m?.MessageId });
        }
        var user = UserOf(userId);
        var agentId = string.IsNullOrEmpty(m.AgentId) ? DefaultAgent : m.AgentId;
        AgentQueue? start = null;
        (string Method, object Argument)? answer = null; // sent once the lock is released
        lock (user.Lock)
        {
            if (user.Seen.TryGetValue(m.MessageId, out var seen) && !Fires("no-idempotency"))
            {
                if (seen.Final is null)
                {
                    seen.Waiters.Add(connectionId); // still queued or streaming: the replay follows the original
                }
                else
                {
                    answer = ("ReceiveReply", seen.Final with { Duplicate = true });
                }
            }
            else if (user.Agent(agentId) is var agent && agent.Queue.Count >= options.QueueCapacity)
            {
                if (!Fires("silent-overflow"))
                {
                    user.RejectedTotal++;
                    var retry = Math.Max(10, (int)(options.ResponseDelaySeconds * 1000 * Math.Max(1, agent.Queue.Count / 10)));
                    answer = ("ReceiveError", new ErrorDto("queue_full", "The agent's queue is full; retry after retryAfterMs.")
                    {
                        MessageId = m.MessageId,
                        QueueSize = agent.Queue.Count,
                        MaxCapacity = options.QueueCapacity,
                        RetryAfterMs = retry,
                    });
                }
            }
            else
            {
                var entry = new Entry();
                user.Remember(m.MessageId, entry, IdempotencyWindow);
                agent.Queue.AddLast(new Work(connectionId, m.MessageId, m.SequenceId.Value, m.Content, entry));
                if (!agent.Running)
                {
                    agent.Running = true;
                    start = agent;
                }
            }
        }
        if (start is not null) { _ = Task.Run(() => RunAgentAsync(user, start)); }
        return answer is { } a ? SendAsync(connectionId, a.Method, a.Argument) : Task.CompletedTask;
    }

    public async Task CancelAsync(string userId, string connectionId, string? messageId)
    {
        if (string.IsNullOrEmpty(messageId))
        {
            await SendAsync(connectionId, "ReceiveError", new ErrorDto("invalid_message", "CancelMessage needs a messageId."));
            return;
        }
        var user = UserOf(userId);
        Work? dropped = null;
        AgentQueue? from = null;
        lock (user.Lock)
        {
            foreach (var agent in user.Agents.Values)
            {
                if (agent.Current is { } current && current.MessageId == messageId && !current.Cancel.IsCancellationRequested)
                {
                    current.Cancel.Cancel(); // the stream stops before its next chunk
                    return;
                }
                for (var node = agent.Queue.First; node is not null; node = node.Next)
                {
                    if (node.Value.MessageId == messageId)
                    {
                        dropped = node.Value;
                        from = agent;
                        agent.Queue.Remove(node);
                        break;
                    }
                }
                if (dropped is not null) { break; }
            }
        }
        if (dropped is null || from is null)
        {
            await SendAsync(connectionId, "ReceiveError", new ErrorDto("unknown_message", $"No message '{messageId}' is queued or streaming.") { MessageId = messageId });
            return;
        }
        var final = new ReplyDto(dropped.MessageId, dropped.SequenceId, from.AgentId, "", Now())
        {
            ChunkCount = options.StreamChunks > 0 ? 0 : null,
            Cancelled = true,
        };
        await FinishAsync(user, from, dropped, final);
    }

    public AgentStateDto AgentState(string userId, string? agentId)
    {
        var user = UserOf(userId);
        agentId = string.IsNullOrEmpty(agentId) ? DefaultAgent : agentId;
        lock (user.Lock)
        {
            user.Agents.TryGetValue(agentId, out var agent);
            var count = agent?.Count ?? 0;
            if (Fires("stale-state")) { count = Math.Max(0, count - StaleBy); }
            return new AgentStateDto(userId, agentId, count, agent?.LastSequenceId ?? 0, agent?.LastMessageId, false, Environment.WorkingSet, Now());
        }
    }

    public QueueStateDto QueueState(string userId, string? agentId)
    {
        var user = UserOf(userId);
        lock (user.Lock)
        {
            var size = !string.IsNullOrEmpty(agentId)
                ? (user.Agents.TryGetValue(agentId, out var agent) ? agent.Queue.Count : 0)
                : user.Agents.Values.Select(a => a.Queue.Count).DefaultIfEmpty(0).Max();
            return new QueueStateDto(size, options.QueueCapacity, user.ProcessedTotal, user.RejectedTotal, Now());
        }
    }

    // -- the worker of one (user, agent) -----------------------------------------------------------

    private async Task RunAgentAsync(UserState user, AgentQueue agent)
    {
        try
        {
            while (true)
            {
                if (!HasWork(user, agent)) { break; }
                var delay = options.ResponseDelaySeconds + (options.JitterSeconds > 0 ? options.JitterSeconds * NextDouble() : 0);
                if (delay > 0) { await Task.Delay(TimeSpan.FromSeconds(delay)); }
                Work work;
                lock (user.Lock)
                {
                    if (agent.Queue.First is null) { continue; }
                    work = agent.Queue.First.Value;
                    agent.Queue.RemoveFirst();
                    agent.Count++;
                    agent.LastSequenceId = work.SequenceId;
                    agent.LastMessageId = work.MessageId;
                    user.ProcessedTotal++;
                    if (options.StreamChunks > 0) { agent.Current = work; }
                }
                await ProcessAsync(user, agent, work);
            }
        }
        catch (Exception e)
        {
            log.LogError(e, "The worker of agent {Agent} failed.", agent.AgentId);
            lock (user.Lock) { agent.Running = false; }
        }
    }

    /// <summary>False (and the worker marked stopped, a held reply let go) when the queue is empty.</summary>
    private bool HasWork(UserState user, AgentQueue agent)
    {
        (string Connection, ReplyDto Reply)? held;
        lock (user.Lock)
        {
            if (agent.Queue.Count > 0) { return true; }
            agent.Running = false;
            held = agent.Held;
            agent.Held = null;
        }
        // Nothing left to pass the held reply: it goes now, late.
        if (held is { } h) { _ = SendAsync(h.Connection, "ReceiveReply", h.Reply); }
        return false;
    }

    private async Task ProcessAsync(UserState user, AgentQueue agent, Work work)
    {
        var text = ResponsePrefix + work.Content;
        ReplyDto final;
        var n = options.StreamChunks;
        if (n > 0)
        {
            var size = Math.Max(1, (text.Length + n - 1) / n);
            var drop = Fires("drop-chunk") ? NextInt(n) : -1;
            var sent = new List<string>();
            for (var i = 0; i < n && !work.Cancel.IsCancellationRequested; i++)
            {
                if (i > 0 && options.ChunkIntervalSeconds > 0)
                {
                    try { await Task.Delay(TimeSpan.FromSeconds(options.ChunkIntervalSeconds), work.Cancel.Token); }
                    catch (OperationCanceledException) { break; }
                }
                var piece = i * size >= text.Length ? "" : text.Substring(i * size, Math.Min(size, text.Length - (i * size)));
                if (i != drop)
                {
                    await SendAsync(work.Connection, "ReceiveChunk", new ChunkDto(work.MessageId, work.SequenceId, agent.AgentId, i, piece));
                }
                sent.Add(piece);
            }
            lock (user.Lock) { agent.Current = null; }
            final = new ReplyDto(work.MessageId, work.SequenceId, agent.AgentId, string.Concat(sent), Now())
            {
                ChunkCount = sent.Count,
                Cancelled = work.Cancel.IsCancellationRequested ? true : null,
            };
        }
        else
        {
            final = new ReplyDto(work.MessageId, work.SequenceId, agent.AgentId, text, Now());
        }
        await FinishAsync(user, agent, work, final);

        if (!Fires("no-state-update"))
        {
            StateUpdateDto update;
            lock (user.Lock) { update = new StateUpdateDto(user.UserId, agent.AgentId, agent.Count, agent.LastMessageId); }
            await hub.Clients.GroupExcept(GroupOf(user.UserId), work.Connection).SendAsync("StateUpdated", update);
        }
    }

    /// <summary>Records the final reply, sends it (through the reply faults), and replays it to repeats that waited.</summary>
    private async Task FinishAsync(UserState user, AgentQueue agent, Work work, ReplyDto final)
    {
        List<string> waiters;
        (string Connection, ReplyDto Reply)? release = null;
        var send = true;
        lock (user.Lock)
        {
            work.Entry.Final = final;
            waiters = [.. work.Entry.Waiters];
            work.Entry.Waiters.Clear();
            if (Fires("drop-replies"))
            {
                send = false;
            }
            else if (agent.Held is null && agent.Queue.Count > 0 && Fires("reorder-replies"))
            {
                agent.Held = (work.Connection, final); // goes out after the next reply of this agent
                send = false;
            }
            else
            {
                release = agent.Held;
                agent.Held = null;
            }
        }
        if (send)
        {
            await SendAsync(work.Connection, "ReceiveReply", final);
            if (Fires("duplicate-replies")) { await SendAsync(work.Connection, "ReceiveReply", final); }
        }
        if (release is { } r) { await SendAsync(r.Connection, "ReceiveReply", r.Reply); }
        foreach (var waiter in waiters)
        {
            await SendAsync(waiter, "ReceiveReply", final with { Duplicate = true });
        }
    }

    // -- helpers -------------------------------------------------------------------------------------

    private async Task SendAsync(string connectionId, string method, object argument)
    {
        try
        {
            await hub.Clients.Client(connectionId).SendAsync(method, argument);
        }
        catch (Exception e)
        {
            log.LogWarning("Sending {Method} to {Connection} failed: {Error}", method, connectionId, e.Message);
        }
    }

    /// <summary>True when fault NAME fires for this event; its rate drawn from the seeded generator.</summary>
    private bool Fires(string name)
    {
        if (!options.Faults.TryGetValue(name, out var rate) || rate <= 0) { return false; }
        return rate >= 1 || NextDouble() < rate;
    }

    private double NextDouble()
    {
        lock (_rngLock) { return _rng.NextDouble(); }
    }

    private int NextInt(int max)
    {
        lock (_rngLock) { return _rng.Next(max); }
    }

    private static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    private UserState UserOf(string userId) => _users.GetOrAdd(userId, id => new UserState(id));

    private sealed class Entry
    {
        public ReplyDto? Final { get; set; }
        public List<string> Waiters { get; } = [];
    }

    private sealed class Work(string connection, string messageId, long sequenceId, string content, Entry entry)
    {
        public string Connection { get; } = connection;
        public string MessageId { get; } = messageId;
        public long SequenceId { get; } = sequenceId;
        public string Content { get; } = content;
        public Entry Entry { get; } = entry;
        public CancellationTokenSource Cancel { get; } = new();
    }

    private sealed class AgentQueue(string agentId)
    {
        public string AgentId { get; } = agentId;
        public LinkedList<Work> Queue { get; } = new();
        public bool Running { get; set; }
        public Work? Current { get; set; }
        public int Count { get; set; }
        public long LastSequenceId { get; set; }
        public string? LastMessageId { get; set; }
        public (string Connection, ReplyDto Reply)? Held { get; set; }
    }

    private sealed class UserState(string userId)
    {
        private readonly Queue<(string Id, Entry Entry)> _order = new();

        public string UserId { get; } = userId;
        public Lock Lock { get; } = new();
        public Dictionary<string, AgentQueue> Agents { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, Entry> Seen { get; } = new(StringComparer.Ordinal);
        public long ProcessedTotal { get; set; }
        public long RejectedTotal { get; set; }

        public AgentQueue Agent(string agentId)
        {
            if (!Agents.TryGetValue(agentId, out var agent)) { Agents[agentId] = agent = new AgentQueue(agentId); }
            return agent;
        }

        public void Remember(string messageId, Entry entry, int window)
        {
            Seen[messageId] = entry;
            _order.Enqueue((messageId, entry));
            while (_order.Count > window)
            {
                var (id, old) = _order.Dequeue();
                if (Seen.TryGetValue(id, out var current) && ReferenceEquals(current, old)) { Seen.Remove(id); }
            }
        }
    }
}
