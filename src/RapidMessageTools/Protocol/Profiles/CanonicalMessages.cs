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

/// <summary>One field of the canonical protocol (docs/PROTOCOL.md) and where it lives on <see cref="ProtocolFrame"/>, read and written without boxing.</summary>
public sealed class CanonicalField
{
    private readonly Func<ProtocolFrame, string?>? _getText;
    private readonly Action<ProtocolFrame, string?>? _setText;
    private readonly Func<ProtocolFrame, long?>? _getLong;
    private readonly Action<ProtocolFrame, long?>? _setLong;
    private readonly Func<ProtocolFrame, double?>? _getDouble;
    private readonly Action<ProtocolFrame, double?>? _setDouble;
    private readonly Func<ProtocolFrame, bool?>? _getBool;
    private readonly Action<ProtocolFrame, bool?>? _setBool;

    private CanonicalField(string name, FieldKind kind)
    {
        Name = name;
        Kind = kind;
    }

    internal CanonicalField(string name, FieldKind kind, Func<ProtocolFrame, string?> get, Action<ProtocolFrame, string?> set)
        : this(name, kind)
    {
        _getText = get;
        _setText = set;
    }

    internal CanonicalField(string name, Func<ProtocolFrame, long?> get, Action<ProtocolFrame, long?> set)
        : this(name, FieldKind.Integer)
    {
        _getLong = get;
        _setLong = set;
    }

    internal CanonicalField(string name, Func<ProtocolFrame, double?> get, Action<ProtocolFrame, double?> set)
        : this(name, FieldKind.Number)
    {
        _getDouble = get;
        _setDouble = set;
    }

    internal CanonicalField(string name, Func<ProtocolFrame, bool?> get, Action<ProtocolFrame, bool?> set)
        : this(name, FieldKind.Boolean)
    {
        _getBool = get;
        _setBool = set;
    }

    /// <summary>The canonical name (<c>message_id</c>; <c>memory_usage.rss</c> for the nested one).</summary>
    public string Name { get; }

    public FieldKind Kind { get; }

    /// <summary>Whether <paramref name="frame"/> carries this field.</summary>
    internal bool HasValue(ProtocolFrame frame) => Kind switch
    {
        FieldKind.Integer => _getLong!(frame) is not null,
        FieldKind.Number => _getDouble!(frame) is not null,
        FieldKind.Boolean => _getBool!(frame) is not null,
        _ => _getText!(frame) is not null,
    };

    /// <summary>Writes this field's value of <paramref name="frame"/>; <paramref name="mapText"/> translates text (error codes).</summary>
    internal void WriteValue(ProtocolFrame frame, System.Text.Json.Utf8JsonWriter w, Func<string, string>? mapText)
    {
        switch (Kind)
        {
            case FieldKind.Integer:
                w.WriteNumberValue(_getLong!(frame) ?? 0);
                break;
            case FieldKind.Number:
                w.WriteNumberValue(_getDouble!(frame) ?? 0);
                break;
            case FieldKind.Boolean:
                w.WriteBooleanValue(_getBool!(frame) ?? false);
                break;
            default:
                var text = _getText!(frame) ?? string.Empty;
                w.WriteStringValue(mapText is null ? text : mapText(text));
                break;
        }
    }

    /// <summary>Reads <paramref name="value"/> into <paramref name="frame"/>; false when it is not of this field's JSON kind.</summary>
    internal bool TryRead(System.Text.Json.JsonElement value, ProtocolFrame frame, Func<string, string>? mapText)
    {
        switch (Kind)
        {
            case FieldKind.Integer when value.ValueKind == System.Text.Json.JsonValueKind.Number:
                if (value.TryGetInt64(out var l))
                {
                    _setLong!(frame, l);
                    return true;
                }

                var d = value.GetDouble();
                if (Math.Abs(d - Math.Round(d)) < double.Epsilon && d >= long.MinValue && d <= long.MaxValue)
                {
                    _setLong!(frame, (long)d);
                    return true;
                }

                return false;
            case FieldKind.Number when value.ValueKind == System.Text.Json.JsonValueKind.Number:
                _setDouble!(frame, value.GetDouble());
                return true;
            case FieldKind.Boolean when value.ValueKind is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False:
                _setBool!(frame, value.ValueKind == System.Text.Json.JsonValueKind.True);
                return true;
            case FieldKind.Id or FieldKind.Text when value.ValueKind == System.Text.Json.JsonValueKind.String:
                var text = value.GetString()!;
                _setText!(frame, mapText is null ? text : mapText(text));
                return true;
            case FieldKind.Id when value.ValueKind == System.Text.Json.JsonValueKind.Number && value.TryGetInt64(out var id):
                _setText!(frame, id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                return true;
            default:
                return false;
        }
    }

    /// <summary>Reads the value <paramref name="reader"/> is on into <paramref name="frame"/>; false when it is not of this field's JSON kind (null is "absent", true).</summary>
    internal bool TryRead(ref System.Text.Json.Utf8JsonReader reader, ProtocolFrame frame, Func<string, string>? mapText)
    {
        switch (reader.TokenType)
        {
            case System.Text.Json.JsonTokenType.Null:
                return true;
            case System.Text.Json.JsonTokenType.Number when Kind == FieldKind.Integer:
                if (reader.TryGetInt64(out var l))
                {
                    _setLong!(frame, l);
                    return true;
                }

                var d = reader.GetDouble();
                if (Math.Abs(d - Math.Round(d)) < double.Epsilon && d >= long.MinValue && d <= long.MaxValue)
                {
                    _setLong!(frame, (long)d);
                    return true;
                }

                return false;
            case System.Text.Json.JsonTokenType.Number when Kind == FieldKind.Number:
                _setDouble!(frame, reader.GetDouble());
                return true;
            case System.Text.Json.JsonTokenType.Number when Kind == FieldKind.Id && reader.TryGetInt64(out var id):
                _setText!(frame, id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                return true;
            case System.Text.Json.JsonTokenType.True or System.Text.Json.JsonTokenType.False when Kind == FieldKind.Boolean:
                _setBool!(frame, reader.TokenType == System.Text.Json.JsonTokenType.True);
                return true;
            case System.Text.Json.JsonTokenType.String when Kind is FieldKind.Id or FieldKind.Text:
                var text = reader.GetString()!;
                _setText!(frame, mapText is null ? text : mapText(text));
                return true;
            default:
                return false;
        }
    }

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
        new("message_id", FieldKind.Id, f => f.MessageId, (f, v) => f.MessageId = v),
        new("sequence_id", f => f.SequenceId, (f, v) => f.SequenceId = v),
        new("content", FieldKind.Text, f => f.Content, (f, v) => f.Content = v),
        new("agent_id", FieldKind.Id, f => f.AgentId, (f, v) => f.AgentId = v),
        new("request_id", FieldKind.Id, f => f.RequestId, (f, v) => f.RequestId = v),
        new("user_id", FieldKind.Id, f => f.UserId, (f, v) => f.UserId = v),
        new("timestamp", f => f.Timestamp, (f, v) => f.Timestamp = v),
        new("duplicate", f => f.Duplicate ? true : null, (f, v) => f.Duplicate = v is true),
        new("chunk_index", f => f.ChunkIndex, (f, v) => f.ChunkIndex = v is >= 0 and <= int.MaxValue ? (int)v.Value : null),
        new("chunk_count", f => f.ChunkCount, (f, v) => f.ChunkCount = v is >= 0 and <= int.MaxValue ? (int)v.Value : null),
        new("cancelled", f => f.Cancelled ? true : null, (f, v) => f.Cancelled = v is true),
        new("message_count", f => f.MessageCount, (f, v) => f.MessageCount = v),
        new("last_sequence_id", f => f.LastSequenceId, (f, v) => f.LastSequenceId = v),
        new("last_message_id", FieldKind.Id, f => f.LastMessageId, (f, v) => f.LastMessageId = v),
        new("memory_usage.rss", f => f.MemoryRss, (f, v) => f.MemoryRss = v),
        new("corrupted", f => f.Corrupted, (f, v) => f.Corrupted = v),
        new("queue_size", f => f.QueueSize, (f, v) => f.QueueSize = v),
        new("max_capacity", f => f.MaxCapacity, (f, v) => f.MaxCapacity = v),
        new("processed_total", f => f.ProcessedTotal, (f, v) => f.ProcessedTotal = v),
        new("rejected_total", f => f.RejectedTotal, (f, v) => f.RejectedTotal = v),
        new("code", FieldKind.Text, f => f.Code, (f, v) => f.Code = v),
        new("message", FieldKind.Text, f => f.Message, (f, v) => f.Message = v),
        new("retry_after_ms", f => f.RetryAfterMs, (f, v) => f.RetryAfterMs = v),
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
