using System;
using System.Linq;
using System.Text.Json;

namespace RapidMessageTools.Protocol;

/// <summary>How a received frame decoded.</summary>
public enum DecodeStatus
{
    Ok,
    InvalidJson,
    NotAnObject,
}

/// <summary>
/// Reads and writes protocol frames with Utf8JsonReader/Utf8JsonWriter: no reflection, no
/// intermediate DOM. Property names are matched on their UTF-8 bytes.
/// </summary>
public static class FrameCodec
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };

    /// <summary>Unix time in seconds, as the report's <c>time.time()</c>.</summary>
    public static double UnixNow() => (DateTime.UtcNow - Epoch).TotalSeconds;

    private static readonly DateTime Epoch = new(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>Decodes one frame. Unknown properties are skipped; a known property of the wrong type sets <see cref="ProtocolFrame.InvalidField"/>.</summary>
    public static DecodeStatus TryDecode(ReadOnlySpan<byte> utf8, out ProtocolFrame frame)
    {
        frame = new ProtocolFrame();
        return TryDecode(utf8, frame, knownAgentId: null);
    }

    /// <summary>
    /// Decodes one frame into <paramref name="frame"/>, emptied first (a server reuses one per thread). An agent_id equal
    /// to <paramref name="knownAgentId"/> is given that string, not a new one: a connection names the same agent frame after frame.
    /// </summary>
    internal static DecodeStatus TryDecode(ReadOnlySpan<byte> utf8, ProtocolFrame frame, string? knownAgentId)
    {
        frame.Reset();
        try
        {
            var reader = new Utf8JsonReader(utf8, isFinalBlock: true, new JsonReaderState(ReaderOptions));
            if (!reader.Read())
            {
                return DecodeStatus.InvalidJson;
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                return reader.Read() ? DecodeStatus.InvalidJson : DecodeStatus.NotAnObject;
            }

            ReadObject(ref reader, frame, knownAgentId);
            return reader.Read() ? DecodeStatus.InvalidJson : DecodeStatus.Ok;
        }
        catch (JsonException)
        {
            return DecodeStatus.InvalidJson;
        }
        catch (InvalidOperationException)
        {
            // Invalid UTF-8 inside a string surfaces here.
            return DecodeStatus.InvalidJson;
        }
        catch (ArgumentException)
        {
            return DecodeStatus.InvalidJson;
        }
    }

    private static void ReadObject(ref Utf8JsonReader reader, ProtocolFrame frame, string? knownAgentId)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueIsEscaped)
            {
                // Escaped names are rare; compare them decoded.
                var decoded = System.Text.Encoding.UTF8.GetBytes(reader.GetString() ?? string.Empty);
                reader.Read();
                ReadProperty(ref reader, decoded, frame, knownAgentId);
            }
            else
            {
                var name = reader.ValueSpan;
                reader.Read();
                ReadProperty(ref reader, name, frame, knownAgentId);
            }
        }
    }

    private static void ReadProperty(ref Utf8JsonReader reader, ReadOnlySpan<byte> name, ProtocolFrame frame, string? knownAgentId)
    {
        switch (name.Length)
        {
            case 4 when name.SequenceEqual(Names.Type):
                frame.Type = ReadType(ref reader, frame);
                return;
            case 4 when name.SequenceEqual(Names.Code):
                frame.Code = ReadString(ref reader, frame, "code");
                return;
            case 7 when name.SequenceEqual(Names.Content):
                frame.Content = ReadString(ref reader, frame, "content");
                return;
            case 7 when name.SequenceEqual(Names.Message):
                frame.Message = ReadString(ref reader, frame, "message");
                return;
            case 7 when name.SequenceEqual(Names.UserId):
                frame.UserId = ReadString(ref reader, frame, "user_id");
                return;
            case 8 when name.SequenceEqual(Names.AgentId):
                frame.AgentId = knownAgentId is not null && reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(knownAgentId)
                    ? knownAgentId
                    : ReadString(ref reader, frame, "agent_id");
                return;
            case 9 when name.SequenceEqual(Names.Duplicate):
                frame.Duplicate = ReadBool(ref reader, frame, "duplicate") ?? false;
                return;
            case 9 when name.SequenceEqual(Names.Corrupted):
                frame.Corrupted = ReadBool(ref reader, frame, "corrupted");
                return;
            case 9 when name.SequenceEqual(Names.Cancelled):
                frame.Cancelled = ReadBool(ref reader, frame, "cancelled") ?? false;
                return;
            case 9 when name.SequenceEqual(Names.Timestamp):
                frame.Timestamp = ReadDouble(ref reader, frame, "timestamp");
                return;
            case 10 when name.SequenceEqual(Names.MessageId):
                frame.MessageId = ReadString(ref reader, frame, "message_id");
                return;
            case 10 when name.SequenceEqual(Names.RequestId):
                frame.RequestId = ReadString(ref reader, frame, "request_id");
                return;
            case 10 when name.SequenceEqual(Names.QueueSize):
                frame.QueueSize = ReadInt64(ref reader, frame, "queue_size");
                return;
            case 11 when name.SequenceEqual(Names.SequenceId):
                frame.SequenceId = ReadInt64(ref reader, frame, "sequence_id");
                return;
            case 11 when name.SequenceEqual(Names.ChunkIndex):
                frame.ChunkIndex = ReadCount(ref reader, frame, "chunk_index");
                return;
            case 11 when name.SequenceEqual(Names.ChunkCount):
                frame.ChunkCount = ReadCount(ref reader, frame, "chunk_count");
                return;
            case 12 when name.SequenceEqual(Names.MaxCapacity):
                frame.MaxCapacity = ReadInt64(ref reader, frame, "max_capacity");
                return;
            case 12 when name.SequenceEqual(Names.MemoryUsage):
                ReadMemoryUsage(ref reader, frame);
                return;
            case 13 when name.SequenceEqual(Names.MessageCount):
                frame.MessageCount = ReadInt64(ref reader, frame, "message_count");
                return;
            case 14 when name.SequenceEqual(Names.RetryAfterMs):
                frame.RetryAfterMs = ReadInt64(ref reader, frame, "retry_after_ms");
                return;
            case 14 when name.SequenceEqual(Names.RejectedTotal):
                frame.RejectedTotal = ReadInt64(ref reader, frame, "rejected_total");
                return;
            case 15 when name.SequenceEqual(Names.LastMessageId):
                frame.LastMessageId = ReadString(ref reader, frame, "last_message_id");
                return;
            case 15 when name.SequenceEqual(Names.ProcessedTotal):
                frame.ProcessedTotal = ReadInt64(ref reader, frame, "processed_total");
                return;
            case 16 when name.SequenceEqual(Names.LastSequenceId):
                frame.LastSequenceId = ReadInt64(ref reader, frame, "last_sequence_id");
                return;
            default:
                reader.Skip();
                return;
        }
    }

    private static void ReadMemoryUsage(ref Utf8JsonReader reader, ProtocolFrame frame)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isRss = reader.ValueTextEquals(Names.Rss);
            reader.Read();
            if (isRss && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var rss))
            {
                frame.MemoryRss = rss;
            }
            else
            {
                reader.Skip();
            }
        }
    }

    /// <summary>The message type, as the shared constant when it is a known one (no string per frame on the hot path).</summary>
    private static string? ReadType(ref Utf8JsonReader reader, ProtocolFrame frame)
    {
        if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped)
        {
            foreach (var (utf8, text) in KnownTypes)
            {
                if (reader.ValueSpan.SequenceEqual(utf8))
                {
                    return text;
                }
            }
        }

        return ReadString(ref reader, frame, "type");
    }

    private static readonly (byte[] Utf8, string Text)[] KnownTypes =
    [
        .. new[]
        {
            MessageType.UserMessage, MessageType.AiResponse, MessageType.AiResponseChunk, MessageType.Cancel, MessageType.GetAgentState, MessageType.AgentState,
            MessageType.GetQueueState, MessageType.QueueState, MessageType.StateUpdate, MessageType.Error,
            MessageType.Ping, MessageType.Pong,
        }.Select(t => (System.Text.Encoding.UTF8.GetBytes(t), t)),
    ];

    private static string? ReadString(ref Utf8JsonReader reader, ProtocolFrame frame, string field)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }

        if (reader.TokenType != JsonTokenType.Null)
        {
            frame.InvalidField ??= field;
            reader.Skip();
        }

        return null;
    }

    private static long? ReadInt64(ref Utf8JsonReader reader, ProtocolFrame frame, string field)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            if (reader.TryGetInt64(out var value))
            {
                return value;
            }

            // 3.0 is an integer written as a float by some JSON libraries.
            var d = reader.GetDouble();
            if (Math.Abs(d - Math.Round(d)) < double.Epsilon && d >= long.MinValue && d <= long.MaxValue)
            {
                return (long)d;
            }
        }

        if (reader.TokenType != JsonTokenType.Null)
        {
            frame.InvalidField ??= field;
            reader.Skip();
        }

        return null;
    }

    /// <summary>A chunk index or count: an integer from 0 to <see cref="int.MaxValue"/>; anything else makes the frame invalid.</summary>
    private static int? ReadCount(ref Utf8JsonReader reader, ProtocolFrame frame, string field)
    {
        var value = ReadInt64(ref reader, frame, field);
        if (value is null)
        {
            return null;
        }

        if (value.Value is < 0 or > int.MaxValue)
        {
            frame.InvalidField ??= field;
            return null;
        }

        return (int)value.Value;
    }

    private static double? ReadDouble(ref Utf8JsonReader reader, ProtocolFrame frame, string field)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            return reader.GetDouble();
        }

        if (reader.TokenType != JsonTokenType.Null)
        {
            frame.InvalidField ??= field;
            reader.Skip();
        }

        return null;
    }

    private static bool? ReadBool(ref Utf8JsonReader reader, ProtocolFrame frame, string field)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.True:
                return true;
            case JsonTokenType.False:
                return false;
            case JsonTokenType.Null:
                return null;
            default:
                frame.InvalidField ??= field;
                reader.Skip();
                return null;
        }
    }

    private static class Names
    {
        public static ReadOnlySpan<byte> Type => "type"u8;
        public static ReadOnlySpan<byte> Code => "code"u8;
        public static ReadOnlySpan<byte> Content => "content"u8;
        public static ReadOnlySpan<byte> Message => "message"u8;
        public static ReadOnlySpan<byte> UserId => "user_id"u8;
        public static ReadOnlySpan<byte> AgentId => "agent_id"u8;
        public static ReadOnlySpan<byte> Duplicate => "duplicate"u8;
        public static ReadOnlySpan<byte> Corrupted => "corrupted"u8;
        public static ReadOnlySpan<byte> Timestamp => "timestamp"u8;
        public static ReadOnlySpan<byte> Cancelled => "cancelled"u8;
        public static ReadOnlySpan<byte> ChunkIndex => "chunk_index"u8;
        public static ReadOnlySpan<byte> ChunkCount => "chunk_count"u8;
        public static ReadOnlySpan<byte> MessageId => "message_id"u8;
        public static ReadOnlySpan<byte> RequestId => "request_id"u8;
        public static ReadOnlySpan<byte> QueueSize => "queue_size"u8;
        public static ReadOnlySpan<byte> SequenceId => "sequence_id"u8;
        public static ReadOnlySpan<byte> MaxCapacity => "max_capacity"u8;
        public static ReadOnlySpan<byte> MemoryUsage => "memory_usage"u8;
        public static ReadOnlySpan<byte> MessageCount => "message_count"u8;
        public static ReadOnlySpan<byte> RetryAfterMs => "retry_after_ms"u8;
        public static ReadOnlySpan<byte> RejectedTotal => "rejected_total"u8;
        public static ReadOnlySpan<byte> LastMessageId => "last_message_id"u8;
        public static ReadOnlySpan<byte> ProcessedTotal => "processed_total"u8;
        public static ReadOnlySpan<byte> LastSequenceId => "last_sequence_id"u8;
        public static ReadOnlySpan<byte> Rss => "rss"u8;
    }
}
