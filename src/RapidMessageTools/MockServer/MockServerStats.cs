using System;
using System.Threading;

namespace RapidMessageTools.MockServer;

/// <summary>A snapshot of a mock backend's counters.</summary>
public sealed class MockServerStats
{
    public MockServerStats(double uptimeSeconds, long connectionsOpen, long connectionsTotal, long messagesReceived, long processed, long rejected, long duplicates, long errors, long dropped, long framesSent, long queued, long authRejected, long oversizeClosed, long activeHandlers, long idempotencyForgottenEarly = 0, long chunksSent = 0, long cancels = 0)
    {
        UptimeSeconds = uptimeSeconds;
        ConnectionsOpen = connectionsOpen;
        ConnectionsTotal = connectionsTotal;
        MessagesReceived = messagesReceived;
        Processed = processed;
        Rejected = rejected;
        Duplicates = duplicates;
        Errors = errors;
        Dropped = dropped;
        FramesSent = framesSent;
        Queued = queued;
        AuthRejected = authRejected;
        OversizeClosed = oversizeClosed;
        ActiveHandlers = activeHandlers;
        IdempotencyForgottenEarly = idempotencyForgottenEarly;
        ChunksSent = chunksSent;
        Cancels = cancels;
    }

    /// <summary>ai_response_chunk frames sent (with -StreamChunks).</summary>
    public long ChunksSent { get; }

    /// <summary>cancel frames that stopped a stream or dropped a queued message.</summary>
    public long Cancels { get; }

    /// <summary>Seconds since the server started.</summary>
    public double UptimeSeconds { get; }
    public long ConnectionsOpen { get; }
    public long ConnectionsTotal { get; }
    /// <summary>user_message frames received.</summary>
    public long MessagesReceived { get; }
    /// <summary>Messages an agent processed (a reply was produced).</summary>
    public long Processed { get; }
    /// <summary>Messages refused with queue_full.</summary>
    public long Rejected { get; }
    /// <summary>Repeated message ids answered by replay.</summary>
    public long Duplicates { get; }
    /// <summary>error frames sent for bad input.</summary>
    public long Errors { get; }
    /// <summary>Messages or replies discarded by an injected fault.</summary>
    public long Dropped { get; }
    public long FramesSent { get; }
    /// <summary>Messages waiting in agent queues now.</summary>
    public long Queued { get; }
    /// <summary>Upgrades refused with 401.</summary>
    public long AuthRejected { get; }
    /// <summary>Connections closed with 1009 for an oversized frame.</summary>
    public long OversizeClosed { get; }

    /// <summary>Request and connection handlers still running (0 once every client is gone).</summary>
    public long ActiveHandlers { get; }

    /// <summary>
    /// Message ids forgotten before the id window was full because the user's remembered contents passed
    /// -IdempotencyWindowBytes; a repeat of one of them is processed again. Non-zero only with large messages.
    /// </summary>
    public long IdempotencyForgottenEarly { get; }

    public override string ToString() =>
        FormattableString.Invariant($"{ConnectionsOpen} open, {MessagesReceived} received, {Processed} processed, {Rejected} rejected, {Duplicates} duplicates");
}

/// <summary>The live counters behind <see cref="MockServerStats"/>; incremented with Interlocked.</summary>
internal sealed class MockServerCounters
{
    public long ConnectionsOpen;
    public long ConnectionsTotal;
    public long MessagesReceived;
    public long Processed;
    public long Rejected;
    public long Duplicates;
    public long Errors;
    public long Dropped;
    public long FramesSent;
    public long Queued;
    public long AuthRejected;
    public long OversizeClosed;
    public long IdempotencyForgottenEarly;
    public long ChunksSent;
    public long Cancels;

    public MockServerStats Snapshot(double uptimeSeconds, long activeHandlers) => new(
        uptimeSeconds,
        Volatile.Read(ref ConnectionsOpen),
        Volatile.Read(ref ConnectionsTotal),
        Volatile.Read(ref MessagesReceived),
        Volatile.Read(ref Processed),
        Volatile.Read(ref Rejected),
        Volatile.Read(ref Duplicates),
        Volatile.Read(ref Errors),
        Volatile.Read(ref Dropped),
        Volatile.Read(ref FramesSent),
        Volatile.Read(ref Queued),
        Volatile.Read(ref AuthRejected),
        Volatile.Read(ref OversizeClosed),
        activeHandlers,
        Volatile.Read(ref IdempotencyForgottenEarly),
        Volatile.Read(ref ChunksSent),
        Volatile.Read(ref Cancels));
}
