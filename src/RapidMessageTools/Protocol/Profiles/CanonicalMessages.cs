using System;
using System.Collections.Generic;
using System.Linq;

namespace RapidMessageTools.Protocol.Profiles;

/// <summary>What a canonical field holds on the wire.</summary>
public enum FieldKind
{
    /// <summary>An id: a string, or an integer read as its decimal text.</summary>
    Id,
    Text,
    Integer,
    Number,
    Boolean,
}

/// <summary>One field of the canonical protocol (docs/PROTOCOL.md) and where it lives on <see cref="ProtocolFrame"/>.</summary>
public sealed class CanonicalField
{
    internal CanonicalField(string name, FieldKind kind, Func<ProtocolFrame, object?> get, Action<ProtocolFrame, object?> set)
    {
        Name = name;
        Kind = kind;
        Get = get;
        Set = set;
    }

    /// <summary>The canonical name (<c>message_id</c>; <c>memory_usage.rss</c> for the nested one).</summary>
    public string Name { get; }

    public FieldKind Kind { get; }

    internal Func<ProtocolFrame, object?> Get { get; }

    internal Action<ProtocolFrame, object?> Set { get; }

    public override string ToString() => Name;
}

/// <summary>One canonical message: its type, direction, fields, and the fields a frame of it cannot do without.</summary>
public sealed class CanonicalMessage
{
    internal CanonicalMessage(string type, bool fromClient, IReadOnlyList<CanonicalField> fields, IReadOnlyList<string> required)
    {
        Type = type;
        FromClient = fromClient;
        Fields = fields;
        Required = required;
    }

    public string Type { get; }

    /// <summary>True for client → server messages.</summary>
    public bool FromClient { get; }

    public IReadOnlyList<CanonicalField> Fields { get; }

    /// <summary>Fields a frame of this message must carry for the scenarios to use it; a profile path that finds nothing there is a protocol mismatch.</summary>
    public IReadOnlyList<string> Required { get; }

    public CanonicalField? Field(string name) => Fields.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.Ordinal));

    public override string ToString() => Type;
}

/// <summary>
/// The canonical protocol as data: every message of docs/PROTOCOL.md with its fields, so that a profile
/// can be checked against it and translated through it. Scenarios never see anything but these messages.
/// </summary>
public static class CanonicalMessages
{
    private static readonly Dictionary<string, CanonicalField> AllFields = new CanonicalField[]
    {
        new("message_id", FieldKind.Id, f => f.MessageId, (f, v) => f.MessageId = (string?)v),
        new("sequence_id", FieldKind.Integer, f => f.SequenceId, (f, v) => f.SequenceId = (long?)v),
        new("content", FieldKind.Text, f => f.Content, (f, v) => f.Content = (string?)v),
        new("agent_id", FieldKind.Id, f => f.AgentId, (f, v) => f.AgentId = (string?)v),
        new("request_id", FieldKind.Id, f => f.RequestId, (f, v) => f.RequestId = (string?)v),
        new("user_id", FieldKind.Id, f => f.UserId, (f, v) => f.UserId = (string?)v),
        new("timestamp", FieldKind.Number, f => f.Timestamp, (f, v) => f.Timestamp = (double?)v),
        new("duplicate", FieldKind.Boolean, f => f.Duplicate ? true : null, (f, v) => f.Duplicate = v is true),
        new("chunk_index", FieldKind.Integer, f => (long?)f.ChunkIndex, (f, v) => f.ChunkIndex = v is long l and >= 0 and <= int.MaxValue ? (int)l : null),
        new("chunk_count", FieldKind.Integer, f => (long?)f.ChunkCount, (f, v) => f.ChunkCount = v is long l and >= 0 and <= int.MaxValue ? (int)l : null),
        new("cancelled", FieldKind.Boolean, f => f.Cancelled ? true : null, (f, v) => f.Cancelled = v is true),
        new("message_count", FieldKind.Integer, f => f.MessageCount, (f, v) => f.MessageCount = (long?)v),
        new("last_sequence_id", FieldKind.Integer, f => f.LastSequenceId, (f, v) => f.LastSequenceId = (long?)v),
        new("last_message_id", FieldKind.Id, f => f.LastMessageId, (f, v) => f.LastMessageId = (string?)v),
        new("memory_usage.rss", FieldKind.Integer, f => f.MemoryRss, (f, v) => f.MemoryRss = (long?)v),
        new("corrupted", FieldKind.Boolean, f => f.Corrupted, (f, v) => f.Corrupted = (bool?)v),
        new("queue_size", FieldKind.Integer, f => f.QueueSize, (f, v) => f.QueueSize = (long?)v),
        new("max_capacity", FieldKind.Integer, f => f.MaxCapacity, (f, v) => f.MaxCapacity = (long?)v),
        new("processed_total", FieldKind.Integer, f => f.ProcessedTotal, (f, v) => f.ProcessedTotal = (long?)v),
        new("rejected_total", FieldKind.Integer, f => f.RejectedTotal, (f, v) => f.RejectedTotal = (long?)v),
        new("code", FieldKind.Text, f => f.Code, (f, v) => f.Code = (string?)v),
        new("message", FieldKind.Text, f => f.Message, (f, v) => f.Message = (string?)v),
        new("retry_after_ms", FieldKind.Integer, f => f.RetryAfterMs, (f, v) => f.RetryAfterMs = (long?)v),
    }.ToDictionary(f => f.Name, StringComparer.Ordinal);

    /// <summary>Every canonical message, client → server first.</summary>
    public static IReadOnlyList<CanonicalMessage> All { get; } =
    [
        Message(MessageType.UserMessage, true, ["message_id", "sequence_id", "content", "agent_id"], ["message_id"]),
        Message(MessageType.GetAgentState, true, ["request_id", "agent_id"], []),
        Message(MessageType.GetQueueState, true, ["request_id", "agent_id"], []),
        Message(MessageType.Cancel, true, ["message_id"], ["message_id"]),
        Message(MessageType.Ping, true, ["request_id"], []),
        Message(MessageType.AiResponse, false, ["message_id", "sequence_id", "agent_id", "content", "timestamp", "duplicate", "chunk_count", "cancelled"], ["message_id"]),
        Message(MessageType.AiResponseChunk, false, ["message_id", "sequence_id", "agent_id", "chunk_index", "content"], ["message_id", "chunk_index"]),
        Message(MessageType.AgentState, false, ["request_id", "user_id", "agent_id", "message_count", "last_sequence_id", "last_message_id", "memory_usage.rss", "corrupted", "timestamp"], ["message_count"]),
        Message(MessageType.QueueState, false, ["request_id", "agent_id", "queue_size", "max_capacity", "processed_total", "rejected_total", "timestamp"], ["queue_size", "max_capacity"]),
        Message(MessageType.StateUpdate, false, ["user_id", "agent_id", "message_count", "last_message_id"], ["message_count"]),
        Message(MessageType.Error, false, ["code", "message", "message_id", "request_id", "queue_size", "max_capacity", "retry_after_ms"], ["code"]),
        Message(MessageType.Pong, false, ["request_id"], []),
    ];

    /// <summary>The canonical error codes (<c>error.code</c>).</summary>
    public static IReadOnlyList<string> ErrorCodes { get; } =
        [ErrorCode.InvalidJson, ErrorCode.InvalidMessage, ErrorCode.UnknownType, ErrorCode.QueueFull, ErrorCode.UnknownMessage];

    private static readonly Dictionary<string, CanonicalMessage> ByType = All.ToDictionary(m => m.Type, StringComparer.Ordinal);

    public static CanonicalMessage? Find(string type) => ByType.TryGetValue(type, out var m) ? m : null;

    private static CanonicalMessage Message(string type, bool fromClient, string[] fields, string[] required) =>
        new(type, fromClient, fields.Select(f => AllFields[f]).ToArray(), required);
}
