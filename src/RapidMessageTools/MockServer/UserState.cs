using System.Collections.Generic;

namespace RapidMessageTools.MockServer;

/// <summary>One user's agents, idempotency window and connections. Guarded by <see cref="Sync"/>.</summary>
internal sealed class UserState
{
    private IReplySink[] _connections = [];

    public UserState(string userId) => UserId = userId;

    public object Sync { get; } = new();

    public string UserId { get; }

    public Dictionary<string, AgentQueue> Agents { get; } = new();

    public Dictionary<string, IdempotencyEntry> Seen { get; } = new();

    public Queue<string> SeenOrder { get; } = new();

    public long ProcessedTotal { get; set; }

    public long RejectedTotal { get; set; }

    /// <summary>The connections open for this user now (copy-on-write, so readers need no lock).</summary>
    public IReplySink[] Connections => _connections;

    public void AddConnection(IReplySink sink)
    {
        lock (Sync)
        {
            var next = new IReplySink[_connections.Length + 1];
            _connections.CopyTo(next, 0);
            next[next.Length - 1] = sink;
            _connections = next;
        }
    }

    public void RemoveConnection(IReplySink sink)
    {
        lock (Sync)
        {
            var list = new List<IReplySink>(_connections);
            list.Remove(sink);
            _connections = list.ToArray();
        }
    }

    /// <summary>Remembers a message id, forgetting the oldest beyond <paramref name="window"/>. Caller holds <see cref="Sync"/>.</summary>
    public void Remember(IdempotencyEntry entry, int window)
    {
        Seen[entry.MessageId] = entry;
        SeenOrder.Enqueue(entry.MessageId);
        while (SeenOrder.Count > window)
        {
            Seen.Remove(SeenOrder.Dequeue());
        }
    }

    public AgentQueue GetAgent(string agentId)
    {
        if (!Agents.TryGetValue(agentId, out var agent))
        {
            agent = new AgentQueue(this, agentId);
            Agents.Add(agentId, agent);
        }

        return agent;
    }
}

/// <summary>One (user, agent): its FIFO queue and its state. Guarded by the user's lock.</summary>
internal sealed class AgentQueue
{
    public AgentQueue(UserState user, string agentId)
    {
        User = user;
        AgentId = agentId;
    }

    public UserState User { get; }

    public string AgentId { get; }

    /// <summary>Accepted messages, the one being processed at the head.</summary>
    public Queue<WorkItem> Items { get; } = new();

    /// <summary>True while a worker owns this queue.</summary>
    public bool Running { get; set; }

    public long MessageCount { get; set; }

    public long LastSequenceId { get; set; }

    public string? LastMessageId { get; set; }

    public string? LastContent { get; set; }

    public long PreviousSequenceId { get; set; }

    public string? PreviousMessageId { get; set; }

    /// <summary>A reply the reorder fault holds back until the next one is sent.</summary>
    public (IReplySink Sink, byte[] Frame)? HeldReply { get; set; }
}

/// <summary>A message accepted into an agent's queue.</summary>
internal readonly record struct WorkItem(IReplySink Sink, string MessageId, long SequenceId, string Content, IdempotencyEntry? Entry);

/// <summary>What the backend remembers of a message id: its reply once made, and who asked again before then.</summary>
internal sealed class IdempotencyEntry
{
    public IdempotencyEntry(string messageId, long sequenceId, string agentId, string content)
    {
        MessageId = messageId;
        SequenceId = sequenceId;
        AgentId = agentId;
        Content = content;
    }

    public string MessageId { get; }

    public long SequenceId { get; }

    public string AgentId { get; }

    public string Content { get; }

    public bool Completed { get; set; }

    public double Timestamp { get; set; }

    /// <summary>Connections that repeated the id while the original was still queued.</summary>
    public List<IReplySink>? Waiters { get; set; }
}
