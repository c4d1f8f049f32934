using System;
using System.Collections.Generic;
using System.Linq;

namespace RapidMessageTools.Protocol.Profiles;

/// <summary>How frames travel: one JSON object per WebSocket text frame, or ASP.NET Core SignalR's JSON hub protocol.</summary>
public enum ProfileTransport
{
    Json,
    SignalR,
}

/// <summary>How a reply is matched to its message: by the id it carries, or (when the backend echoes none) by order per connection and agent.</summary>
public enum ProfileCorrelation
{
    Id,
    Order,
}

/// <summary>Where one canonical message lives on a backend's wire: its wire type and a path per field.</summary>
public sealed class MessageMapping
{
    internal MessageMapping(CanonicalMessage message, string? wireType, IReadOnlyDictionary<string, FieldPath> fields, bool invoke, string? reply)
    {
        Message = message;
        WireType = wireType;
        Fields = fields;
        Invoke = invoke;
        Reply = reply;
    }

    public CanonicalMessage Message { get; }

    /// <summary>The discriminator's value; null for a message that only arrives as the answer to an invocation.</summary>
    public string? WireType { get; }

    /// <summary>Every field of the message and its path (the profile's, else the default).</summary>
    public IReadOnlyDictionary<string, FieldPath> Fields { get; }

    /// <summary>Sent as an invocation whose answer is read as <see cref="Reply"/>.</summary>
    public bool Invoke { get; }

    public string? Reply { get; }

    public override string ToString() => Message.Type + (WireType is null ? " (reply)" : " = " + WireType);
}

/// <summary>
/// A protocol profile: how a backend names, nests and codes the canonical messages of docs/PROTOCOL.md.
/// Built by <see cref="ProfileReader"/> from JSON (a file, or a hashtable turned into JSON), checked whole
/// before any connection; <see cref="Rapid"/> is the built-in protocol.
/// </summary>
public sealed class ProtocolProfile
{
    internal ProtocolProfile(
        string name,
        string source,
        ProfileTransport transport,
        FieldPath typeField,
        IReadOnlyList<MessageMapping> messages,
        IReadOnlyDictionary<string, string> errorCodes,
        IReadOnlyCollection<string> unsupported,
        IReadOnlyCollection<string> ignore,
        ProfileCorrelation correlation,
        bool skipNegotiation,
        bool isBuiltIn)
    {
        Name = name;
        Source = source;
        Transport = transport;
        TypeField = typeField;
        Messages = messages;
        ErrorCodes = errorCodes;
        Unsupported = unsupported;
        Ignore = ignore;
        Correlation = correlation;
        SkipNegotiation = skipNegotiation;
        IsBuiltIn = isBuiltIn;
        _byCanonical = messages.ToDictionary(m => m.Message.Type, StringComparer.Ordinal);
        _byWire = messages.Where(m => m.WireType is not null).ToDictionary(m => m.WireType!, StringComparer.Ordinal);
        _errorFromWire = errorCodes.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
    }

    private readonly Dictionary<string, MessageMapping> _byCanonical;
    private readonly Dictionary<string, MessageMapping> _byWire;
    private readonly Dictionary<string, string> _errorFromWire;

    /// <summary>The built-in protocol (docs/PROTOCOL.md as it is).</summary>
    public static ProtocolProfile Rapid { get; } = ProfileReader.BuiltIn();

    public string Name { get; }

    /// <summary>Where the profile came from: a file path, "hashtable", or "built-in".</summary>
    public string Source { get; }

    public ProfileTransport Transport { get; }

    public FieldPath TypeField { get; }

    public IReadOnlyList<MessageMapping> Messages { get; }

    /// <summary>Canonical error code → the backend's.</summary>
    public IReadOnlyDictionary<string, string> ErrorCodes { get; }

    /// <summary>Canonical messages the backend does not have.</summary>
    public IReadOnlyCollection<string> Unsupported { get; }

    /// <summary>Wire types dropped without being counted.</summary>
    public IReadOnlyCollection<string> Ignore { get; }

    public ProfileCorrelation Correlation { get; }

    /// <summary>SignalR: connect the WebSocket straight to the hub's URL, without POST negotiate.</summary>
    public bool SkipNegotiation { get; }

    public bool IsBuiltIn { get; }

    public MessageMapping? ForCanonical(string type) => _byCanonical.TryGetValue(type, out var m) ? m : null;

    public MessageMapping? ForWireType(string wireType) => _byWire.TryGetValue(wireType, out var m) ? m : null;

    public bool Supports(string canonicalType) => !Unsupported.Contains(canonicalType);

    public string ErrorCodeToWire(string code) => ErrorCodes.TryGetValue(code, out var w) ? w : code;

    public string ErrorCodeFromWire(string code) => _errorFromWire.TryGetValue(code, out var c) ? c : code;

    public override string ToString() => $"{Name} ({Transport}, {Source})";
}
