using System;

namespace RapidMessageTools.Results;

/// <summary>
/// One way a run failed: a stable <see cref="Code"/> to assert on, and a sentence for people.
/// For thresholds, the measure, its limit and the value seen.
/// </summary>
public sealed class RapidViolation
{
    public RapidViolation()
    {
    }

    public RapidViolation(string code, string message, string? measure = null, double? limit = null, double? value = null)
    {
        Code = code;
        Message = message;
        Measure = measure;
        Limit = limit;
        Value = value;
    }

    public string Code { get; set; } = string.Empty;

    public string Message { get; set; } = string.Empty;

    public string? Measure { get; set; }

    public double? Limit { get; set; }

    public double? Value { get; set; }

    public override string ToString() => Code + ": " + Message;
}

/// <summary>The codes of <see cref="RapidViolation"/>, one per kind of defect a scenario can find.</summary>
public static class ViolationCode
{
    public const string MissingReply = nameof(MissingReply);
    public const string DuplicateReply = nameof(DuplicateReply);
    public const string OutOfOrder = nameof(OutOfOrder);
    public const string UnexpectedReply = nameof(UnexpectedReply);
    public const string DuplicateProcessed = nameof(DuplicateProcessed);
    public const string ReplayNotMarked = nameof(ReplayNotMarked);
    public const string SilentDrop = nameof(SilentDrop);
    public const string QueueOverCapacity = nameof(QueueOverCapacity);
    public const string NoRecovery = nameof(NoRecovery);
    public const string StateMismatch = nameof(StateMismatch);
    public const string StateCorrupted = nameof(StateCorrupted);
    public const string UnexpectedClose = nameof(UnexpectedClose);
    public const string ReconnectFailed = nameof(ReconnectFailed);
    public const string PingUnanswered = nameof(PingUnanswered);
    public const string StaleView = nameof(StaleView);
    public const string MissingStateUpdate = nameof(MissingStateUpdate);
    public const string StateLeak = nameof(StateLeak);
    public const string Starvation = nameof(Starvation);
    public const string Latency = nameof(Latency);
    public const string Throughput = nameof(Throughput);
    public const string DeliveryRatio = nameof(DeliveryRatio);
    public const string MemoryGrowth = nameof(MemoryGrowth);
    public const string ServerError = nameof(ServerError);
    public const string Timeout = nameof(Timeout);

    // Streamed replies (Streaming, StreamCancel).
    public const string StreamIncomplete = nameof(StreamIncomplete);
    public const string ChunkOutOfOrder = nameof(ChunkOutOfOrder);
    public const string ChunkDuplicated = nameof(ChunkDuplicated);
    public const string StreamCut = nameof(StreamCut);
    public const string StreamFinalMismatch = nameof(StreamFinalMismatch);
    public const string ChunkAfterFinal = nameof(ChunkAfterFinal);
    public const string CancelIgnored = nameof(CancelIgnored);
    public const string CancelNotClosed = nameof(CancelNotClosed);
    public const string NextNotServed = nameof(NextNotServed);
    public const string FirstChunkLatency = nameof(FirstChunkLatency);
    public const string ChunkGap = nameof(ChunkGap);

    /// <summary>-Baseline: a metric is worse than the baseline beyond its tolerance and beyond the noise (the message names the metric and both values).</summary>
    public const string Regression = nameof(Regression);

    /// <summary>The run could not provoke what the scenario tests (Outcome Inconclusive): the message says what to change.</summary>
    public const string NotProvoked = nameof(NotProvoked);

    /// <summary>The backend's frames did not match the protocol profile (a path that found nothing, a value of the wrong type): the backend was not judged.</summary>
    public const string ProtocolMismatch = nameof(ProtocolMismatch);

    /// <summary>The scenario needs a message the profile lists as Unsupported: it was not run.</summary>
    public const string ProtocolUnsupported = nameof(ProtocolUnsupported);

    /// <summary>The profile correlates replies by order, so the checks this scenario makes by message id were not judged.</summary>
    public const string NeedsMessageIds = nameof(NeedsMessageIds);

    /// <summary>The run was stopped (Ctrl+C) before it ended: its figures are partial.</summary>
    public const string Interrupted = nameof(Interrupted);
}
