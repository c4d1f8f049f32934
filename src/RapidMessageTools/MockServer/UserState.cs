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

    public Queue<IdempotencyEntry> SeenOrder { get; } = new();

    /// <summary>What the remembered ids and contents take, about (UTF-16 strings and the entry).</summary>
    public long SeenBytes { get; private set; }

    /// <summary>The agent this user's last message named: decoding reuses its string when the next frame names it too. A hint, read without the lock.</summary>
    public string? LastAgentId { get; set; }

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

    /// <summary>
    /// Remembers a message id, forgetting the oldest beyond <paramref name="window"/> ids or
    /// <paramref name="windowBytes"/> bytes (the newest is always kept). Returns how many were forgotten
    /// for bytes while still inside the id window. Caller holds <see cref="Sync"/>.
    /// </summary>
    public int Remember(IdempotencyEntry entry, int window, long windowBytes)
    {
        Seen[entry.MessageId] = entry;
        SeenOrder.Enqueue(entry);
        SeenBytes += entry.Bytes;
        var forgottenForBytes = 0;
        while (SeenOrder.Count > window || (SeenBytes > windowBytes && SeenOrder.Count > 1))
        {
            if (SeenOrder.Count <= window)
            {
                forgottenForBytes++;
            }

            var old = SeenOrder.Dequeue();
            SeenBytes -= old.Bytes;
            Seen.Remove(old.MessageId);
        }

        return forgottenForBytes;
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

    /// <summary>The message whose reply is streaming now, if any.</summary>
    public StreamRun? Current { get; set; }

    /// <summary>Queued messages a cancel dropped; each gets a cancelled final when it reaches the head. Allocated on the first cancel.</summary>
    public HashSet<string>? CancelledQueued { get; set; }

    /// <summary>The CancelDropsNext fault: the next message dequeued is dropped silently.</summary>
    public bool DropNext { get; set; }

    /// <summary>Whether <paramref name="messageId"/> waits in this queue (not yet cancelled). Caller holds the user's lock.</summary>
    public bool IsQueued(string messageId)
    {
        if (CancelledQueued is not null && CancelledQueued.Contains(messageId))
        {
            return false;
        }

        foreach (var item in Items)
        {
            if (string.Equals(item.MessageId, messageId, System.StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>A reply being streamed: what was sent so far and whether the client cancelled it. Guarded by the user's lock.</summary>
internal sealed class StreamRun(WorkItem item, string reply)
{
    public WorkItem Item { get; } = item;

    /// <summary>The whole reply; chunk i is a slice of it, so what was sent is always a prefix.</summary>
    public string Reply { get; } = reply;

    /// <summary>Chunks sent so far (the chunk_count of a cancelled final).</summary>
    public int Sent { get; set; }

    public bool CancelRequested { get; set; }
}

/// <summary>
/// A message accepted into an agent's queue. <paramref name="Arrived"/> is its Stopwatch timestamp on arrival (0 when
/// the mock has no delay): a delayed worker answers it no sooner than one delay after it.
/// </summary>
internal readonly record struct WorkItem(IReplySink Sink, string MessageId, long SequenceId, string Content, IdempotencyEntry? Entry, long Arrived);

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

    /// <summary>About what this entry holds: its strings (UTF-16) and the entry with its index slots.</summary>
    public long Bytes => ((MessageId.Length + Content.Length) * 2L) + 160;

    public bool Completed { get; set; }

    /// <summary>A streamed reply's chunk_count; -1 when the reply was not streamed.</summary>
    public int ChunkCount { get; set; } = -1;

    /// <summary>The reply ended on a cancel.</summary>
    public bool Cancelled { get; set; }

    /// <summary>Characters of the reply its final carried (a cancelled stream's prefix); -1 = all.</summary>
    public int ReplyLength { get; set; } = -1;

    public double Timestamp { get; set; }

    /// <summary>Connections that repeated the id while the original was still queued.</summary>
    public List<IReplySink>? Waiters { get; set; }
}
