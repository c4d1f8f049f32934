using System;
using System.Buffers;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;

namespace RapidMessageTools.Protocol.Profiles;

/// <summary>
/// ASP.NET Core SignalR's JSON hub protocol over a WebSocket, wrapping a profile: the handshake, records
/// ended by 0x1E (several in one frame, or one spanning frames), invocations (<c>type</c> 1) dispatched by
/// <c>target</c>, Completions (3) read as the invocation's <c>Reply</c>, Pings (6) and Close (7).
/// The client sends the handshake and reads Completions; the server (the mock) answers the handshake and
/// writes its replies to invocations as Completions.
/// </summary>
internal sealed class HubSession : ProfileSessionBase
{
    public const byte RecordSeparator = 0x1E;

    private static readonly byte[] HandshakeRequest = Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e");
    private static readonly byte[] HandshakeOk = Encoding.UTF8.GetBytes("{}\u001e");
    private static readonly byte[] PingRecord = Encoding.UTF8.GetBytes("{\"type\":6}\u001e");

    private readonly List<byte> _partial = [];
    private bool _handshakeDone;

    public HubSession(ProtocolProfile profile, ProtocolRole role, ProtocolObservations? observations)
        : base(profile, role, observations) => Codec.ShapeAsHubRecords();

    public override ReadOnlyMemory<byte> Opening => Role == ProtocolRole.Client ? HandshakeRequest : ReadOnlyMemory<byte>.Empty;

    public override ReadOnlyMemory<byte> KeepAlive => PingRecord;

    /// <summary>ASP.NET Core's default keep-alive: a Ping record after 15 s without other sends.</summary>
    public override TimeSpan KeepAliveInterval => TimeSpan.FromSeconds(15);

    public override SessionReadResult Read(ReadOnlySpan<byte> payload, List<ProtocolFrame> output)
    {
        var result = default(SessionReadResult);
        while (payload.Length > 0)
        {
            var end = payload.IndexOf(RecordSeparator);
            if (end < 0)
            {
                // A record that goes on in the next frame.
                foreach (var b in payload)
                {
                    _partial.Add(b);
                }

                break;
            }

            if (_partial.Count > 0)
            {
                foreach (var b in payload.Slice(0, end))
                {
                    _partial.Add(b);
                }

                var record = _partial.ToArray();
                _partial.Clear();
                ReadRecord(record, output, ref result);
            }
            else
            {
                ReadRecord(payload.Slice(0, end), output, ref result);
            }

            payload = payload.Slice(end + 1);
        }

        return result;
    }

    public override void Write(ProtocolFrame message, IBufferWriter<byte> output)
    {
        Writer.Reset(output);
        if (Role == ProtocolRole.Server && message.RequestId is not null && TakeInvocation(message.RequestId) && message.Type == MessageType.Error)
        {
            // An invocation that failed: its Completion carries the error.
            WriteCompletion(Writer, message.RequestId, Profile.ErrorCodeToWire(message.Code ?? "error") + ": " + message.Message);
        }
        else
        {
            BeforeWrite(message);
            Codec.Write(message, Writer);
        }

        output.GetSpan(1)[0] = RecordSeparator;
        output.Advance(1);
    }

    /// <summary>Server: invocations whose Completion is still owed, by invocationId.</summary>
    private readonly HashSet<string> _serverInvocations = new(StringComparer.Ordinal);

    private bool TakeInvocation(string id)
    {
        lock (_serverInvocations)
        {
            return _serverInvocations.Remove(id);
        }
    }

    private static void WriteCompletion(Utf8JsonWriter w, string invocationId, string? error)
    {
        w.WriteStartObject();
        w.WriteNumber("type", 3);
        w.WriteString("invocationId", invocationId);
        if (error is not null)
        {
            w.WriteString("error", error);
        }

        w.WriteEndObject();
        w.Flush();
    }

    private void ReadRecord(ReadOnlySpan<byte> record, List<ProtocolFrame> output, ref SessionReadResult result)
    {
        if (!_handshakeDone)
        {
            if (!JsonRecords.TryParse(record, out var doc))
            {
                result.Malformed++;
                return;
            }

            using (doc)
            {
                ReadHandshake(doc!.RootElement, ref result);
            }

            return;
        }

        int type;
        string? target, invocationId, error;
        try
        {
            FrameScanner.CheckWhole(record);
            FrameScanner.ReadHubRecord(record, out type, out target, out invocationId, out error);
        }
        catch (JsonException)
        {
            result.Malformed++;
            return;
        }

        switch (type)
        {
            case 1:
                ReadInvocation(record, target, invocationId, output, ref result);
                break;
            case 3 when Role == ProtocolRole.Client:
                ReadCompletion(record, invocationId, error, output);
                break;
            case 6:
                break;
            case 7:
                result.Closed = true;
                result.CloseError = error;
                break;
            case 2 or 3 or 4 or 5:
                // Stream items and stream invocations are not part of a chat profile; a CancelInvocation's
                // Completion (or any other unsolicited one) is tolerated.
                Observations?.Unmapped("SignalR record type " + type.ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            default:
                result.Malformed++;
                break;
        }
    }

    private void ReadHandshake(JsonElement root, ref SessionReadResult result)
    {
        _handshakeDone = true;
        if (Role == ProtocolRole.Client)
        {
            if (root.TryGetProperty("error", out var error))
            {
                result.HandshakeError = error.ValueKind == JsonValueKind.String ? error.GetString() : error.GetRawText();
            }

            return;
        }

        var protocol = root.TryGetProperty("protocol", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        result.Respond = protocol == "json"
            ? HandshakeOk
            : Encoding.UTF8.GetBytes("{\"error\":\"Requested protocol '" + protocol + "' is not available: this server speaks 'json'.\"}\u001e");
        if (protocol != "json")
        {
            result.Closed = true;
        }
    }

    private void ReadInvocation(ReadOnlySpan<byte> record, string? target, string? invocationId, List<ProtocolFrame> output, ref SessionReadResult result)
    {
        var count = output.Count;
        ReadObject(record, target, output);
        if (Role != ProtocolRole.Server || output.Count == count || invocationId is null)
        {
            return;
        }

        var frame = output[output.Count - 1];
        var mapping = frame.Type is null ? null : Profile.ForCanonical(frame.Type);
        if (mapping is { Invoke: true })
        {
            frame.RequestId = invocationId;
            lock (_serverInvocations)
            {
                _serverInvocations.Add(invocationId);
            }
        }
        else
        {
            // A hub method without a result (InvokeAsync on a void method): its Completion says it ran.
            using var buffer = new System.IO.MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                WriteCompletion(w, invocationId, error: null);
            }

            buffer.WriteByte(RecordSeparator);
            result.Respond = buffer.ToArray();
        }
    }

    private void ReadCompletion(ReadOnlySpan<byte> record, string? invocationId, string? error, List<ProtocolFrame> output)
    {
        var reply = TakePending(invocationId);
        if (reply is null)
        {
            return;
        }

        if (error is not null)
        {
            output.Add(new ProtocolFrame { Type = MessageType.Error, Code = "hub_error", Message = error, RequestId = invocationId });
            return;
        }

        output.Add(ReadMapped(record, reply));
    }
}
