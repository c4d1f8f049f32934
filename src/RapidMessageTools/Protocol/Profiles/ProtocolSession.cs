using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Threading;

namespace RapidMessageTools.Protocol.Profiles;

/// <summary>Which end of the connection a session speaks for.</summary>
public enum ProtocolRole
{
    Client,
    Server,
}

/// <summary>What one WebSocket message held besides canonical frames.</summary>
public struct SessionReadResult
{
    /// <summary>Frames or records that were not a JSON object the protocol knows.</summary>
    public int Malformed;

    /// <summary>The peer ended the session (a SignalR Close record); <see cref="CloseError"/> says why when it said.</summary>
    public bool Closed;

    public string? CloseError;

    /// <summary>The handshake failed; the peer's words.</summary>
    public string? HandshakeError;

    /// <summary>Bytes to send back at once (a handshake answer, the Completion of a void invocation).</summary>
    public byte[]? Respond;
}

/// <summary>
/// One connection's protocol: reads WebSocket messages into canonical <see cref="ProtocolFrame"/>s and writes
/// canonical frames in the backend's shape. The built-in protocol is one implementation (its hand-written
/// codec), a JSON profile another, and SignalR's hub framing wraps a profile. Reads happen on one thread
/// (the receive loop); writes are serialized by the caller.
/// </summary>
public interface IProtocolSession
{
    ProtocolProfile Profile { get; }

    /// <summary>Sent as soon as the WebSocket opens (SignalR's handshake request); empty when the protocol has none.</summary>
    ReadOnlyMemory<byte> Opening { get; }

    /// <summary>Sent every <see cref="KeepAliveInterval"/> without other sends (SignalR's Ping record); empty when none.</summary>
    ReadOnlyMemory<byte> KeepAlive { get; }

    TimeSpan KeepAliveInterval { get; }

    /// <summary>Reads one WebSocket text message; the canonical frames it held go to <paramref name="output"/>.</summary>
    SessionReadResult Read(ReadOnlySpan<byte> payload, List<ProtocolFrame> output);

    /// <summary>Writes one canonical frame as the wire wants it (for SignalR, a whole record with its 0x1E).</summary>
    void Write(ProtocolFrame message, IBufferWriter<byte> output);
}

/// <summary>Creates the session a profile needs for one connection.</summary>
public static class ProtocolSessions
{
    public static IProtocolSession Create(ProtocolProfile profile, ProtocolRole role, ProtocolObservations? observations)
    {
        if (profile is null)
        {
            throw new ArgumentNullException(nameof(profile));
        }

        if (profile.IsBuiltIn)
        {
            return new RapidSession(profile);
        }

        return profile.Transport == ProfileTransport.SignalR
            ? new HubSession(profile, role, observations)
            : new JsonProfileSession(profile, role, observations);
    }
}

/// <summary>The built-in protocol: the hand-written codec, no translation.</summary>
internal sealed class RapidSession : IProtocolSession
{
    private static readonly ProfileCodec Generic = new(ProtocolProfile.Rapid);
    private readonly Utf8JsonWriter _writer = new(System.IO.Stream.Null, new JsonWriterOptions { SkipValidation = true });

    public RapidSession(ProtocolProfile profile) => Profile = profile;

    public ProtocolProfile Profile { get; }

    public ReadOnlyMemory<byte> Opening => ReadOnlyMemory<byte>.Empty;

    public ReadOnlyMemory<byte> KeepAlive => ReadOnlyMemory<byte>.Empty;

    public TimeSpan KeepAliveInterval => TimeSpan.Zero;

    public SessionReadResult Read(ReadOnlySpan<byte> payload, List<ProtocolFrame> output)
    {
        var result = default(SessionReadResult);
        if (FrameCodec.TryDecode(payload, out var frame) == DecodeStatus.Ok)
        {
            output.Add(frame);
        }
        else
        {
            result.Malformed = 1;
        }

        return result;
    }

    public void Write(ProtocolFrame m, IBufferWriter<byte> output)
    {
        _writer.Reset(output);
        switch (m.Type)
        {
            case MessageType.UserMessage:
                FrameWriter.WriteUserMessage(_writer, m.MessageId ?? string.Empty, m.SequenceId ?? 0, m.Content ?? string.Empty, m.AgentId);
                break;
            case MessageType.Cancel:
                FrameWriter.WriteCancel(_writer, m.MessageId ?? string.Empty);
                break;
            case MessageType.GetAgentState:
                FrameWriter.WriteGetAgentState(_writer, m.RequestId, m.AgentId);
                break;
            case MessageType.GetQueueState:
                FrameWriter.WriteGetQueueState(_writer, m.RequestId, m.AgentId);
                break;
            case MessageType.Ping:
                FrameWriter.WritePing(_writer, m.RequestId);
                break;
            default:
                Generic.Write(m, _writer);
                break;
        }
    }
}

/// <summary>What a client session shares between its JSON and SignalR forms: invocations awaiting their answer, and order correlation.</summary>
internal abstract class ProfileSessionBase : IProtocolSession
{
    private readonly ConcurrentDictionary<string, MessageMapping> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<string>> _unanswered = new(StringComparer.Ordinal);
    private long _invocations;

    protected ProfileSessionBase(ProtocolProfile profile, ProtocolRole role, ProtocolObservations? observations)
    {
        Profile = profile;
        Role = role;
        Observations = role == ProtocolRole.Client ? observations : null;
        Codec = new ProfileCodec(profile);
        Writer = new Utf8JsonWriter(System.IO.Stream.Null, new JsonWriterOptions { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    public ProtocolProfile Profile { get; }

    public virtual ReadOnlyMemory<byte> Opening => ReadOnlyMemory<byte>.Empty;

    public virtual ReadOnlyMemory<byte> KeepAlive => ReadOnlyMemory<byte>.Empty;

    public virtual TimeSpan KeepAliveInterval => TimeSpan.Zero;

    protected ProtocolRole Role { get; }

    protected ProtocolObservations? Observations { get; }

    protected ProfileCodec Codec { get; }

    protected Utf8JsonWriter Writer { get; }

    public abstract SessionReadResult Read(ReadOnlySpan<byte> payload, List<ProtocolFrame> output);

    public abstract void Write(ProtocolFrame message, IBufferWriter<byte> output);

    /// <summary>Client: before writing, note what its answer will be read as (Invoke) and which reply it waits for (Order).</summary>
    protected MessageMapping BeforeWrite(ProtocolFrame message)
    {
        var mapping = Profile.ForCanonical(message.Type ?? string.Empty)
            ?? throw new InvalidOperationException($"The profile '{Profile.Name}' lists {message.Type} in Unsupported: this scenario cannot send it.");
        if (Role != ProtocolRole.Client)
        {
            return mapping;
        }

        if (mapping.Invoke)
        {
            message.RequestId ??= "i" + Interlocked.Increment(ref _invocations).ToString(CultureInfo.InvariantCulture);
            _pending[message.RequestId] = Profile.ForCanonical(mapping.Reply!)!;
        }

        if (Profile.Correlation == ProfileCorrelation.Order && message.Type == MessageType.UserMessage && message.MessageId is not null)
        {
            lock (_unanswered)
            {
                var key = message.AgentId ?? string.Empty;
                if (!_unanswered.TryGetValue(key, out var q))
                {
                    _unanswered[key] = q = new Queue<string>();
                }

                q.Enqueue(message.MessageId);
            }
        }

        return mapping;
    }

    /// <summary>Client: the mapping an answer to a pending invocation is read as, taken off the pending list.</summary>
    protected MessageMapping? TakePending(string? invocationId) =>
        invocationId is not null && _pending.TryRemove(invocationId, out var m) ? m : null;

    protected bool HasPending => !_pending.IsEmpty;

    /// <summary>Reads <paramref name="utf8"/> as <paramref name="mapping"/> and, by order, gives an id-less reply the oldest unanswered id of its agent.</summary>
    protected ProtocolFrame ReadMapped(ReadOnlySpan<byte> utf8, MessageMapping mapping)
    {
        var frame = Codec.Read(utf8, mapping, Observations);
        if (Role == ProtocolRole.Client && Profile.Correlation == ProfileCorrelation.Order && frame.Type == MessageType.Error && frame.MessageId is not null)
        {
            // A rejection that names its message: that message will get no reply, so it leaves the order.
            lock (_unanswered)
            {
                foreach (var q in _unanswered.Values)
                {
                    if (q.Contains(frame.MessageId))
                    {
                        var kept = q.Where(id => !string.Equals(id, frame.MessageId, StringComparison.Ordinal)).ToArray();
                        q.Clear();
                        foreach (var id in kept)
                        {
                            q.Enqueue(id);
                        }

                        break;
                    }
                }
            }
        }
        else if (Role == ProtocolRole.Client && Profile.Correlation == ProfileCorrelation.Order && frame.MessageId is null
            && frame.Type is MessageType.AiResponse or MessageType.AiResponseChunk)
        {
            lock (_unanswered)
            {
                if (_unanswered.TryGetValue(frame.AgentId ?? string.Empty, out var q) || (_unanswered.Count == 1 && Single(out q)))
                {
                    if (q!.Count > 0)
                    {
                        frame.MessageId = frame.Type == MessageType.AiResponse ? q.Dequeue() : q.Peek();
                    }
                }
            }
        }

        return frame;
    }

    private bool Single(out Queue<string>? q)
    {
        foreach (var v in _unanswered.Values)
        {
            q = v;
            return true;
        }

        q = null;
        return false;
    }

    /// <summary>
    /// Reads one JSON object whose wire type is <paramref name="wireType"/>: by that type, else (client) as the
    /// answer of a pending invocation; a server hands an unknown type on as it is, so the backend answers
    /// unknown_type; a client counts it and drops it. Throws <see cref="JsonException"/> on a malformed frame.
    /// </summary>
    protected void ReadObject(ReadOnlySpan<byte> utf8, string? wireType, List<ProtocolFrame> output)
    {
        var mapping = wireType is null ? null : Profile.ForWireType(wireType);
        if (mapping is null && Role == ProtocolRole.Client && HasPending)
        {
            foreach (var m in Profile.Messages)
            {
                if (m.WireType is null && m.Fields.TryGetValue("request_id", out var idPath)
                    && TakePending(FrameScanner.ReadId(utf8, idPath.Segments)) is { } reply)
                {
                    mapping = reply;
                    break;
                }
            }
        }

        if (mapping is not null)
        {
            output.Add(ReadMapped(utf8, mapping));
        }
        else if (Role == ProtocolRole.Server)
        {
            output.Add(new ProtocolFrame { Type = wireType });
        }
        else if (wireType is null || !Profile.Ignore.Contains(wireType))
        {
            Observations?.Unmapped(wireType ?? "(no type)");
        }
    }
}

/// <summary>A JSON profile: one object per text frame, translated through the profile.</summary>
internal sealed class JsonProfileSession : ProfileSessionBase
{
    public JsonProfileSession(ProtocolProfile profile, ProtocolRole role, ProtocolObservations? observations)
        : base(profile, role, observations)
    {
    }

    public override SessionReadResult Read(ReadOnlySpan<byte> payload, List<ProtocolFrame> output)
    {
        var result = default(SessionReadResult);
        var count = output.Count;
        try
        {
            FrameScanner.CheckWhole(payload);
            ReadObject(payload, Codec.WireTypeOf(payload), output);
        }
        catch (JsonException)
        {
            output.RemoveRange(count, output.Count - count);
            result.Malformed = 1;
        }

        return result;
    }

    public override void Write(ProtocolFrame message, IBufferWriter<byte> output)
    {
        BeforeWrite(message);
        Writer.Reset(output);
        Codec.Write(message, Writer);
    }
}

/// <summary>Parsing helpers shared by the sessions.</summary>
internal static class JsonRecords
{
    /// <summary>Parses one JSON object; false (and no document) when it is not one.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out JsonDocument? doc)
    {
        doc = null;
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 64 });
            doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && !reader.Read())
            {
                return true;
            }
        }
        catch (JsonException)
        {
        }
        catch (ArgumentException)
        {
        }
        catch (InvalidOperationException)
        {
        }

        doc?.Dispose();
        doc = null;
        return false;
    }
}
