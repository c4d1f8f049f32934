namespace RapidMessageTools.Protocol;

/// <summary>
/// One decoded frame of the wire protocol (docs/PROTOCOL.md), in either direction. Every field of the protocol's
/// messages is here; a field the frame did not carry is null.
/// </summary>
/// <remarks>
/// Two frames are decoded per message (the server's user_message, the client's ai_response), so the
/// fields only state, queue and error frames carry live in a part allocated on first use: a message
/// frame is about 100 bytes instead of about 270. The stream fields (chunk_index, chunk_count,
/// cancelled) are on every chunk or final of a streamed reply, so they stay inline as two ints and a bool.
/// </remarks>
public sealed class ProtocolFrame
{
    private FrameDetails? _details;

    // Streamed replies: kept as ints with -1 for "absent", so a chunk frame grows by 8 bytes, not by a part.
    private int _chunkIndex = -1;
    private int _chunkCount = -1;

    public string? Type { get; set; }
    public string? MessageId { get; set; }
    public long? SequenceId { get; set; }
    public string? Content { get; set; }
    public string? AgentId { get; set; }
    public string? RequestId { get; set; }
    public string? UserId { get; set; }
    public bool Duplicate { get; set; }
    public double? Timestamp { get; set; }

    // ai_response_chunk / streamed ai_response
    public int? ChunkIndex { get => _chunkIndex < 0 ? null : _chunkIndex; set => _chunkIndex = value is >= 0 ? value.Value : -1; }
    public int? ChunkCount { get => _chunkCount < 0 ? null : _chunkCount; set => _chunkCount = value is >= 0 ? value.Value : -1; }

    /// <summary>A final ai_response that ends a stream the client cancelled.</summary>
    public bool Cancelled { get; set; }

    // agent_state / state_update
    public long? MessageCount { get => _details?.MessageCount; set => Details.MessageCount = value; }
    public long? LastSequenceId { get => _details?.LastSequenceId; set => Details.LastSequenceId = value; }
    public string? LastMessageId { get => _details?.LastMessageId; set => Details.LastMessageId = value; }
    public bool? Corrupted { get => _details?.Corrupted; set => Details.Corrupted = value; }
    public long? MemoryRss { get => _details?.MemoryRss; set => Details.MemoryRss = value; }

    // queue_state
    public long? QueueSize { get => _details?.QueueSize; set => Details.QueueSize = value; }
    public long? MaxCapacity { get => _details?.MaxCapacity; set => Details.MaxCapacity = value; }
    public long? ProcessedTotal { get => _details?.ProcessedTotal; set => Details.ProcessedTotal = value; }
    public long? RejectedTotal { get => _details?.RejectedTotal; set => Details.RejectedTotal = value; }

    // error
    public string? Code { get => _details?.Code; set => Details.Code = value; }
    public string? Message { get => _details?.Message; set => Details.Message = value; }
    public long? RetryAfterMs { get => _details?.RetryAfterMs; set => Details.RetryAfterMs = value; }

    /// <summary>When decoding found a field of the wrong JSON type, its name; the frame is then invalid.</summary>
    public string? InvalidField { get; set; }

    private FrameDetails Details => _details ??= new FrameDetails();

    /// <summary>Empties the frame for reuse (a connection fills one outgoing frame per send).</summary>
    public void Reset()
    {
        Type = MessageId = Content = AgentId = RequestId = UserId = InvalidField = null;
        SequenceId = null;
        Timestamp = null;
        Duplicate = Cancelled = false;
        _chunkIndex = _chunkCount = -1;
        _details = null;
    }

    /// <summary>The fields of state, queue and error frames.</summary>
    private sealed class FrameDetails
    {
        public long? MessageCount;
        public long? LastSequenceId;
        public string? LastMessageId;
        public bool? Corrupted;
        public long? MemoryRss;
        public long? QueueSize;
        public long? MaxCapacity;
        public long? ProcessedTotal;
        public long? RejectedTotal;
        public string? Code;
        public string? Message;
        public long? RetryAfterMs;
    }
}
