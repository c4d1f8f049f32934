namespace RapidMessageTools.Protocol;

/// <summary>
/// One decoded frame of the wire protocol, in either direction. Every field of DESIGN.md's
/// messages is here; a field the frame did not carry is null.
/// </summary>
public sealed class ProtocolFrame
{
    public string? Type { get; set; }
    public string? MessageId { get; set; }
    public long? SequenceId { get; set; }
    public string? Content { get; set; }
    public string? AgentId { get; set; }
    public string? RequestId { get; set; }
    public string? UserId { get; set; }
    public bool Duplicate { get; set; }
    public double? Timestamp { get; set; }

    // agent_state / state_update
    public long? MessageCount { get; set; }
    public long? LastSequenceId { get; set; }
    public string? LastMessageId { get; set; }
    public bool? Corrupted { get; set; }
    public long? MemoryRss { get; set; }

    // queue_state
    public long? QueueSize { get; set; }
    public long? MaxCapacity { get; set; }
    public long? ProcessedTotal { get; set; }
    public long? RejectedTotal { get; set; }

    // error
    public string? Code { get; set; }
    public string? Message { get; set; }
    public long? RetryAfterMs { get; set; }

    /// <summary>When decoding found a field of the wrong JSON type, its name; the frame is then invalid.</summary>
    public string? InvalidField { get; set; }
}
