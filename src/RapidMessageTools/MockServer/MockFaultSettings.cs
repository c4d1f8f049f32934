using System;

namespace RapidMessageTools.MockServer;

/// <summary>
/// Faults the mock can inject, each so that one scenario can be shown to catch its bug.
/// Rates are probabilities in [0, 1], drawn from a generator seeded with <see cref="Seed"/>.
/// From PowerShell: <c>-Fault @{ DropReplies = 0.1; Seed = 7 }</c>.
/// </summary>
public sealed class MockFaultSettings
{
    /// <summary>Seed for every fault's random draws, so runs repeat.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Share of replies processed but never sent.</summary>
    public double DropReplies { get; set; }

    /// <summary>Share of replies sent twice (the second not marked duplicate).</summary>
    public double DuplicateReplies { get; set; }

    /// <summary>Share of replies held back and sent after the next one.</summary>
    public double ReorderReplies { get; set; }

    /// <summary>No idempotency: a repeated message_id is processed again.</summary>
    public bool ProcessDuplicates { get; set; }

    /// <summary>A full queue drops the message without a queue_full error.</summary>
    public bool DropOnOverflow { get; set; }

    /// <summary>Share of agent_state answers marked corrupted with a wrong message_count.</summary>
    public double CorruptState { get; set; }

    /// <summary>Share of agent_state answers that report the state before the latest message.</summary>
    public double StaleState { get; set; }

    /// <summary>No state_update to the user's other connections.</summary>
    public bool NoStateUpdate { get; set; }

    /// <summary>Abort a connection (no close handshake) after it has sent this many user messages; 0 = never.</summary>
    public int DisconnectAfter { get; set; }

    /// <summary>Share of replies delayed by <see cref="OutlierDelay"/> seconds more.</summary>
    public double LatencyOutliers { get; set; }

    /// <summary>Extra delay of a latency outlier, seconds.</summary>
    public double OutlierDelay { get; set; } = 0.25;

    /// <summary>All users share one state: agent state, queues and state_update leak across users.</summary>
    public bool LeakState { get; set; }

    // Streamed replies (with -StreamChunks). Rates are shares of streams; each affected stream draws where.

    /// <summary>Share of streams with one chunk not sent (the final still counts and contains it).</summary>
    public double DropChunk { get; set; }

    /// <summary>Share of streams with two neighbouring chunks sent in swapped order.</summary>
    public double ReorderChunks { get; set; }

    /// <summary>Share of streams with one chunk sent twice.</summary>
    public double DuplicateChunk { get; set; }

    /// <summary>Share of streams that stop after some chunks and never send their final frame.</summary>
    public double CutStream { get; set; }

    /// <summary>Share of finals that disagree with their chunks: content one character short, or chunk_count one too high.</summary>
    public double FinalMismatch { get; set; }

    /// <summary>Share of streams with one gap of <see cref="StallDelay"/> seconds between two chunks.</summary>
    public double StallStreams { get; set; }

    /// <summary>Length of a stall, seconds.</summary>
    public double StallDelay { get; set; } = 3;

    /// <summary>Share of streams that send one more chunk after their final frame.</summary>
    public double ChunksAfterFinal { get; set; }

    /// <summary>cancel is accepted silently and does nothing: the stream runs to an ordinary final.</summary>
    public bool IgnoreCancel { get; set; }

    /// <summary>cancel stops the stream but no final frame follows.</summary>
    public bool CancelWithoutFinal { get; set; }

    /// <summary>cancel of a stream also drops, silently, the next message queued for that agent.</summary>
    public bool CancelDropsNext { get; set; }

    /// <summary>True when a fault that only a streaming mock can show is switched on.</summary>
    public bool AnyStreamFault =>
        DropChunk > 0 || ReorderChunks > 0 || DuplicateChunk > 0 || CutStream > 0 || FinalMismatch > 0 || StallStreams > 0 || ChunksAfterFinal > 0;

    /// <summary>True when any fault is switched on.</summary>
    public bool Any =>
        DropReplies > 0 || DuplicateReplies > 0 || ReorderReplies > 0 || ProcessDuplicates || DropOnOverflow ||
        CorruptState > 0 || StaleState > 0 || NoStateUpdate || DisconnectAfter > 0 || LatencyOutliers > 0 || LeakState ||
        AnyStreamFault || IgnoreCancel || CancelWithoutFinal || CancelDropsNext;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        CheckRate(DropReplies, nameof(DropReplies));
        CheckRate(DuplicateReplies, nameof(DuplicateReplies));
        CheckRate(ReorderReplies, nameof(ReorderReplies));
        CheckRate(CorruptState, nameof(CorruptState));
        CheckRate(StaleState, nameof(StaleState));
        CheckRate(LatencyOutliers, nameof(LatencyOutliers));
        CheckRate(DropChunk, nameof(DropChunk));
        CheckRate(ReorderChunks, nameof(ReorderChunks));
        CheckRate(DuplicateChunk, nameof(DuplicateChunk));
        CheckRate(CutStream, nameof(CutStream));
        CheckRate(FinalMismatch, nameof(FinalMismatch));
        CheckRate(StallStreams, nameof(StallStreams));
        CheckRate(ChunksAfterFinal, nameof(ChunksAfterFinal));
        if (StallDelay < 0 || StallDelay > 3600 || double.IsNaN(StallDelay))
        {
            throw new ArgumentException($"Fault StallDelay must be seconds between 0 and 3600, not {StallDelay}.");
        }
        if (DisconnectAfter < 0)
        {
            throw new ArgumentException($"Fault DisconnectAfter must be 0 (never) or a positive count, not {DisconnectAfter}.");
        }

        if (OutlierDelay < 0 || double.IsNaN(OutlierDelay))
        {
            throw new ArgumentException($"Fault OutlierDelay must be a number of seconds >= 0, not {OutlierDelay}.");
        }
    }

    public MockFaultSettings Clone() => (MockFaultSettings)MemberwiseClone();

    public override string ToString()
    {
        if (!Any)
        {
            return "none";
        }

        var parts = new System.Collections.Generic.List<string>();
        void Rate(string name, double v)
        {
            if (v > 0)
            {
                parts.Add(FormattableString.Invariant($"{name}={v}"));
            }
        }

        Rate(nameof(DropReplies), DropReplies);
        Rate(nameof(DuplicateReplies), DuplicateReplies);
        Rate(nameof(ReorderReplies), ReorderReplies);
        if (ProcessDuplicates)
        {
            parts.Add(nameof(ProcessDuplicates));
        }

        if (DropOnOverflow)
        {
            parts.Add(nameof(DropOnOverflow));
        }

        Rate(nameof(CorruptState), CorruptState);
        Rate(nameof(StaleState), StaleState);
        if (NoStateUpdate)
        {
            parts.Add(nameof(NoStateUpdate));
        }

        if (DisconnectAfter > 0)
        {
            parts.Add(FormattableString.Invariant($"{nameof(DisconnectAfter)}={DisconnectAfter}"));
        }

        Rate(nameof(LatencyOutliers), LatencyOutliers);
        if (LeakState)
        {
            parts.Add(nameof(LeakState));
        }

        Rate(nameof(DropChunk), DropChunk);
        Rate(nameof(ReorderChunks), ReorderChunks);
        Rate(nameof(DuplicateChunk), DuplicateChunk);
        Rate(nameof(CutStream), CutStream);
        Rate(nameof(FinalMismatch), FinalMismatch);
        Rate(nameof(StallStreams), StallStreams);
        Rate(nameof(ChunksAfterFinal), ChunksAfterFinal);
        foreach (var (name, on) in new[] { (nameof(IgnoreCancel), IgnoreCancel), (nameof(CancelWithoutFinal), CancelWithoutFinal), (nameof(CancelDropsNext), CancelDropsNext) })
        {
            if (on)
            {
                parts.Add(name);
            }
        }

        return string.Join(", ", parts) + FormattableString.Invariant($" (seed {Seed})");
    }

    private static void CheckRate(double value, string name)
    {
        if (double.IsNaN(value) || value < 0 || value > 1)
        {
            throw new ArgumentException(FormattableString.Invariant($"Fault {name} is a rate between 0 and 1, not {value}."));
        }
    }
}
