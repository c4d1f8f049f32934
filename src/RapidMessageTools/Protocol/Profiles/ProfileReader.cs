using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;

namespace RapidMessageTools.Protocol.Profiles;

/// <summary>A profile that cannot be used, with the key at fault (<c>Messages.user_message.Fields.mesage_id</c>).</summary>
public sealed class ProtocolProfileException : Exception
{
    public ProtocolProfileException(string key, string message)
        : base(message) => Key = key;

    public ProtocolProfileException()
    {
        Key = string.Empty;
    }

    public ProtocolProfileException(string message, Exception innerException)
        : base(message, innerException)
    {
        Key = string.Empty;
    }

    /// <summary>The profile key at fault, dotted from the top (empty when it is the file itself).</summary>
    public string Key { get; }
}

/// <summary>
/// Reads a profile from its JSON text and checks it whole: every mistake is refused here, before any
/// connection, with the key it is at and what to write instead.
/// </summary>
public static class ProfileReader
{
    private static readonly string[] TopKeys = ["Name", "Transport", "TypeField", "Messages", "ErrorCodes", "Unsupported", "Ignore", "Correlation", "SkipNegotiation"];
    private static readonly string[] MessageKeys = ["Type", "Fields", "Invoke", "Reply"];

    /// <summary>Reads and checks a profile. <paramref name="source"/> names where it came from, for messages.</summary>
    public static ProtocolProfile Read(string json, string source)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new ProtocolProfileException(string.Empty, $"The profile {source} is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}): {ex.Message.Split('.')[0]}. Fix the JSON, or pass a hashtable.");
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ProtocolProfileException(string.Empty, $"The profile {source} is a JSON {doc.RootElement.ValueKind}, not an object: write {{ \"Name\": ..., \"Messages\": {{ ... }} }}.");
            }

            return Build(doc.RootElement, source);
        }
    }

    internal static ProtocolProfile BuiltIn()
    {
        var messages = CanonicalMessages.All.Select(m => new MessageMapping(m, m.Type, DefaultFields(m, ProfileTransport.Json, reply: false), invoke: false, reply: null)).ToArray();
        return new ProtocolProfile("Rapid", "built-in", ProfileTransport.Json, FieldPath.TryParse("type", out _)!, messages,
            new Dictionary<string, string>(), [], [], ProfileCorrelation.Id, skipNegotiation: false, isBuiltIn: true);
    }

    private static ProtocolProfile Build(JsonElement root, string source)
    {
        var top = Keys(root, string.Empty, TopKeys);
        var name = top.TryGetValue("Name", out var n) ? RequireString(n, "Name") : "profile";
        var transport = top.TryGetValue("Transport", out var t) ? ParseEnum<ProfileTransport>(t, "Transport") : ProfileTransport.Json;
        var correlation = top.TryGetValue("Correlation", out var c) ? ParseEnum<ProfileCorrelation>(c, "Correlation") : ProfileCorrelation.Id;
        var skipNegotiation = top.TryGetValue("SkipNegotiation", out var s) && RequireBool(s, "SkipNegotiation");
        if (skipNegotiation && transport != ProfileTransport.SignalR)
        {
            throw new ProtocolProfileException("SkipNegotiation", "SkipNegotiation applies to SignalR only: remove it, or set \"Transport\": \"SignalR\".");
        }

        var typeFieldText = top.TryGetValue("TypeField", out var tf) ? RequireString(tf, "TypeField") : (transport == ProfileTransport.SignalR ? "target" : "type");
        var typeField = ParsePath(typeFieldText, "TypeField");
        if (transport == ProfileTransport.SignalR && typeField.Text != "target")
        {
            throw new ProtocolProfileException("TypeField", $"A SignalR profile names its messages by the invoked method: write \"TypeField\": \"target\" (not '{typeField.Text}').");
        }

        var unsupported = top.TryGetValue("Unsupported", out var u) ? StringList(u, "Unsupported") : [];
        for (var i = 0; i < unsupported.Count; i++)
        {
            if (CanonicalMessages.Find(unsupported[i]) is null)
            {
                throw new ProtocolProfileException($"Unsupported.{i}", $"'{unsupported[i]}' in Unsupported is not a canonical message: write one of {Names(CanonicalMessages.All.Select(m => m.Type))}.");
            }
        }

        var ignore = top.TryGetValue("Ignore", out var ig) ? StringList(ig, "Ignore") : [];
        var errorCodes = top.TryGetValue("ErrorCodes", out var ec) ? ReadErrorCodes(ec) : new Dictionary<string, string>(StringComparer.Ordinal);

        var declared = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (top.TryGetValue("Messages", out var msgs))
        {
            if (msgs.ValueKind != JsonValueKind.Object)
            {
                throw new ProtocolProfileException("Messages", "Messages must be an object: { \"user_message\": { \"Type\": ..., \"Fields\": { ... } }, ... }.");
            }

            foreach (var p in msgs.EnumerateObject())
            {
                if (CanonicalMessages.Find(p.Name) is null)
                {
                    throw new ProtocolProfileException("Messages." + p.Name, $"'{p.Name}' is not a canonical message: write one of {Names(CanonicalMessages.All.Select(m => m.Type))}{Suggest(p.Name, CanonicalMessages.All.Select(m => m.Type))}.");
                }

                if (unsupported.Contains(p.Name))
                {
                    throw new ProtocolProfileException("Messages." + p.Name, $"'{p.Name}' is both mapped in Messages and listed in Unsupported: keep one.");
                }

                declared[p.Name] = p.Value;
            }
        }

        // Which messages arrive only as the answer to an invocation: those some Invoke names as its Reply.
        var replies = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pair in declared)
        {
            var keys = Keys(pair.Value, "Messages." + pair.Key, MessageKeys);
            if (keys.TryGetValue("Reply", out var r))
            {
                replies.Add(RequireString(r, $"Messages.{pair.Key}.Reply"));
            }
        }

        var mappings = new List<MessageMapping>();
        foreach (var message in CanonicalMessages.All)
        {
            if (unsupported.Contains(message.Type))
            {
                continue;
            }

            mappings.Add(declared.TryGetValue(message.Type, out var element)
                ? ReadMapping(message, element, transport, replies.Contains(message.Type))
                : new MessageMapping(message, DefaultWireType(message, transport, replies.Contains(message.Type)), DefaultFields(message, transport, replies.Contains(message.Type)), invoke: false, reply: null));
        }

        CheckReplies(mappings, unsupported);
        CheckCorrelation(mappings, correlation);
        CheckWireTypes(mappings);
        return new ProtocolProfile(name, source, transport, typeField, mappings, errorCodes, unsupported, ignore, correlation, skipNegotiation, isBuiltIn: false);
    }

    private static MessageMapping ReadMapping(CanonicalMessage message, JsonElement element, ProfileTransport transport, bool isReply)
    {
        var key = "Messages." + message.Type;
        var keys = Keys(element, key, MessageKeys);
        string? wireType = keys.TryGetValue("Type", out var t) ? RequireString(t, key + ".Type") : null;
        var invoke = keys.TryGetValue("Invoke", out var i) && RequireBool(i, key + ".Invoke");
        string? reply = keys.TryGetValue("Reply", out var r) ? RequireString(r, key + ".Reply") : null;
        if (invoke && reply is null)
        {
            throw new ProtocolProfileException(key + ".Invoke", $"{message.Type} has \"Invoke\": true but no \"Reply\": name the canonical message its answer is read as, e.g. \"Reply\": \"{ReplyHint(message.Type)}\".");
        }

        if (reply is not null && !invoke)
        {
            throw new ProtocolProfileException(key + ".Reply", $"{message.Type} names a Reply but is not an invocation: add \"Invoke\": true, or remove \"Reply\".");
        }

        if (invoke && !message.FromClient)
        {
            throw new ProtocolProfileException(key + ".Invoke", $"{message.Type} is sent by the server; only client messages ({Names(CanonicalMessages.All.Where(m => m.FromClient).Select(m => m.Type))}) can be invoked.");
        }

        if (isReply && wireType is not null && transport == ProfileTransport.SignalR)
        {
            throw new ProtocolProfileException(key + ".Type", $"{message.Type} is read from an invocation's Completion, which has no target: remove its \"Type\".");
        }

        if (!isReply && wireType is null)
        {
            wireType = DefaultWireType(message, transport, isReply: false);
        }

        var fields = DefaultFields(message, transport, isReply);
        if (keys.TryGetValue("Fields", out var f))
        {
            if (f.ValueKind != JsonValueKind.Object)
            {
                throw new ProtocolProfileException(key + ".Fields", "Fields must be an object: { \"message_id\": \"payload.id\", ... }.");
            }

            var explicitPaths = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in f.EnumerateObject())
            {
                var fieldKey = key + ".Fields." + p.Name;
                if (message.Field(p.Name) is null)
                {
                    throw new ProtocolProfileException(fieldKey, $"'{p.Name}' is not a field of {message.Type}: write one of {Names(message.Fields.Select(x => x.Name))}{Suggest(p.Name, message.Fields.Select(x => x.Name))}.");
                }

                if (p.Value.ValueKind == JsonValueKind.Null)
                {
                    // The backend does not carry this field at all.
                    fields.Remove(p.Name);
                    continue;
                }

                var path = ParsePath(RequireString(p.Value, fieldKey), fieldKey);
                CheckSignalRPath(message, path, fieldKey, transport, isReply, invoke);
                if (explicitPaths.TryGetValue(path.Text, out var other))
                {
                    throw new ProtocolProfileException(fieldKey, $"{message.Type} maps both {other} and {p.Name} to '{path.Text}': give each field its own path.");
                }

                explicitPaths[path.Text] = p.Name;
                fields[p.Name] = path;
            }
        }

        if (invoke && transport == ProfileTransport.SignalR)
        {
            // The invocation's id carries the request id (the profile may say so itself).
            fields["request_id"] = ParsePath("invocationId", key);
        }

        CheckShape(fields, key);
        return new MessageMapping(message, wireType, fields, invoke, reply);
    }

    private static void CheckSignalRPath(CanonicalMessage message, FieldPath path, string key, ProfileTransport transport, bool isReply, bool invoke)
    {
        if (transport != ProfileTransport.SignalR)
        {
            return;
        }

        if (path.Text == "invocationId" && (isReply || invoke))
        {
            return;
        }

        var root = isReply ? "result" : "arguments";
        if (!path.StartsWith(root))
        {
            var where = isReply ? "a Completion's result (result.<name>)" : "the invocation's arguments (arguments.0.<name>)";
            throw new ProtocolProfileException(key, $"In a SignalR profile, {message.Type}'s fields live in {where}; '{path.Text}' would be an unknown top-level field, which the hub protocol rejects. Write e.g. '{root}{(isReply ? "." : ".0.")}{path.Segments[path.Segments.Length - 1].Name}'.");
        }

        if (!isReply && (path.Segments.Length < 2 || path.Segments[1].Index < 0))
        {
            throw new ProtocolProfileException(key, $"'{path.Text}': arguments is an array; index it, e.g. 'arguments.0' or 'arguments.0.{path.Segments[path.Segments.Length - 1].Name}'.");
        }
    }

    /// <summary>Paths of one message must build one tree: no path both a value and a container, no array indexed by a name.</summary>
    private static void CheckShape(Dictionary<string, FieldPath> fields, string key)
    {
        var paths = fields.ToList();
        foreach (var pair in paths)
        {
            var (name, path) = (pair.Key, pair.Value);
            foreach (var otherPair in paths)
            {
                var (otherName, other) = (otherPair.Key, otherPair.Value);
                if (ReferenceEquals(path, other) || path.Segments.Length >= other.Segments.Length)
                {
                    continue;
                }

                if (path.Segments.Select(s => s.Name).SequenceEqual(other.Segments.Take(path.Segments.Length).Select(s => s.Name)))
                {
                    throw new ProtocolProfileException(key + ".Fields." + otherName, $"'{other.Text}' ({otherName}) goes inside '{path.Text}', which holds {name}: one path cannot be both a value and an object; move one of them.");
                }
            }
        }

        for (var i = 0; i < paths.Count; i++)
        {
            for (var j = i + 1; j < paths.Count; j++)
            {
                var a = paths[i].Value.Segments;
                var b = paths[j].Value.Segments;
                for (var k = 0; k < Math.Min(a.Length, b.Length); k++)
                {
                    if (a[k].Name != b[k].Name)
                    {
                        if ((a[k].Index >= 0) != (b[k].Index >= 0))
                        {
                            throw new ProtocolProfileException(key + ".Fields." + paths[j].Key, $"'{paths[i].Value.Text}' and '{paths[j].Value.Text}' use the same parent as an array and as an object: pick one.");
                        }

                        break;
                    }
                }
            }
        }
    }

    private static void CheckReplies(List<MessageMapping> mappings, IReadOnlyCollection<string> unsupported)
    {
        foreach (var m in mappings.Where(m => m.Reply is not null))
        {
            var key = $"Messages.{m.Message.Type}.Reply";
            var target = CanonicalMessages.Find(m.Reply!);
            if (target is null || target.FromClient)
            {
                throw new ProtocolProfileException(key, $"'{m.Reply}' is not a canonical server message: write one of {Names(CanonicalMessages.All.Where(x => !x.FromClient).Select(x => x.Type))}.");
            }

            if (unsupported.Contains(target.Type))
            {
                throw new ProtocolProfileException(key, $"{m.Message.Type}'s Reply {target.Type} is listed in Unsupported: remove it from Unsupported.");
            }
        }
    }

    /// <summary>Correlation by id needs the id on the messages that are matched by it.</summary>
    private static void CheckCorrelation(List<MessageMapping> mappings, ProfileCorrelation correlation)
    {
        if (correlation != ProfileCorrelation.Id)
        {
            return;
        }

        foreach (var m in mappings)
        {
            if (m.Message.Type is MessageType.UserMessage or MessageType.AiResponse or MessageType.AiResponseChunk && !m.Fields.ContainsKey("message_id"))
            {
                throw new ProtocolProfileException($"Messages.{m.Message.Type}.Fields.message_id", $"{m.Message.Type} has no message_id, but replies are matched to messages by it (Correlation Id): map it to where the backend carries the id, or set \"Correlation\": \"Order\" when the backend echoes none.");
            }
        }
    }

    private static void CheckWireTypes(List<MessageMapping> mappings)
    {
        foreach (var group in mappings.Where(m => m.WireType is not null).GroupBy(m => m.WireType!, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            var names = group.Select(m => m.Message.Type).ToArray();
            throw new ProtocolProfileException($"Messages.{names[1]}.Type", $"{string.Join(" and ", names)} have the same wire type '{group.Key}' (a message the profile does not name keeps its canonical type): give each its own \"Type\".");
        }
    }

    private static Dictionary<string, string> ReadErrorCodes(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new ProtocolProfileException("ErrorCodes", "ErrorCodes must be an object: { \"queue_full\": \"overloaded\" }.");
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in element.EnumerateObject())
        {
            var key = "ErrorCodes." + p.Name;
            if (!CanonicalMessages.ErrorCodes.Contains(p.Name))
            {
                throw new ProtocolProfileException(key, $"'{p.Name}' is not a canonical error code: write one of {Names(CanonicalMessages.ErrorCodes)}{Suggest(p.Name, CanonicalMessages.ErrorCodes)}.");
            }

            var wire = RequireString(p.Value, key);
            if (map.ContainsValue(wire))
            {
                throw new ProtocolProfileException(key, $"'{wire}' is given for two canonical codes: a code must name one.");
            }

            map[p.Name] = wire;
        }

        return map;
    }

    internal static Dictionary<string, FieldPath> DefaultFields(CanonicalMessage message, ProfileTransport transport, bool reply)
    {
        var prefix = transport != ProfileTransport.SignalR ? string.Empty : (reply ? "result." : "arguments.0.");
        return message.Fields.ToDictionary(
            f => f.Name,
            f => FieldPath.TryParse(transport == ProfileTransport.SignalR && f.Name == "request_id" && reply ? "invocationId" : prefix + f.Name, out _)!,
            StringComparer.Ordinal);
    }

    private static string? DefaultWireType(CanonicalMessage message, ProfileTransport transport, bool isReply) =>
        isReply && transport == ProfileTransport.SignalR ? null : message.Type;

    private static Dictionary<string, JsonElement> Keys(JsonElement element, string at, string[] allowed)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new ProtocolProfileException(at, $"{(at.Length == 0 ? "The profile" : at)} must be an object with keys {Names(allowed)}.");
        }

        var keys = new Dictionary<string, JsonElement>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in element.EnumerateObject())
        {
            var known = allowed.FirstOrDefault(a => string.Equals(a, p.Name, StringComparison.OrdinalIgnoreCase));
            if (known is null)
            {
                var key = at.Length == 0 ? p.Name : at + "." + p.Name;
                throw new ProtocolProfileException(key, $"'{p.Name}' is not a profile key here: write one of {Names(allowed)}{Suggest(p.Name, allowed)}.");
            }

            keys[known] = p.Value;
        }

        return keys;
    }

    private static FieldPath ParsePath(string text, string key) =>
        FieldPath.TryParse(text, out var problem) ?? throw new ProtocolProfileException(key, $"{key}: {problem}.");

    private static string RequireString(JsonElement e, string key) =>
        e.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(e.GetString())
            ? e.GetString()!
            : throw new ProtocolProfileException(key, $"{key} must be a non-empty string, not {Describe(e)}.");

    private static bool RequireBool(JsonElement e, string key) => e.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new ProtocolProfileException(key, $"{key} must be true or false, not {Describe(e)}."),
    };

    private static T ParseEnum<T>(JsonElement e, string key)
        where T : struct, Enum
    {
        var text = RequireString(e, key);
        return Enum.TryParse<T>(text, ignoreCase: true, out var value) && Enum.IsDefined(typeof(T), value)
            ? value
            : throw new ProtocolProfileException(key, $"{key} '{text}' is not known: write {Names(Enum.GetNames(typeof(T)))}.");
    }

    private static List<string> StringList(JsonElement e, string key)
    {
        if (e.ValueKind != JsonValueKind.Array)
        {
            throw new ProtocolProfileException(key, $"{key} must be a list of names, such as [ \"ping\" ], not {Describe(e)}.");
        }

        return e.EnumerateArray().Select((x, i) => RequireString(x, $"{key}.{i}")).ToList();
    }

    private static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => $"'{e.GetString()}'",
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => e.GetRawText(),
        _ => "a JSON " + e.ValueKind.ToString().ToLowerInvariant(),
    };

    private static string Names(IEnumerable<string> names) => string.Join(", ", names);

    private static string ReplyHint(string type) => type switch
    {
        MessageType.GetAgentState => MessageType.AgentState,
        MessageType.GetQueueState => MessageType.QueueState,
        MessageType.Ping => MessageType.Pong,
        _ => MessageType.AiResponse,
    };

    /// <summary>"(did you mean message_id?)" for a near miss: the same letters ignoring case and separators.</summary>
    private static string Suggest(string given, IEnumerable<string> options)
    {
        static string Squash(string s) => new(s.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());
        var g = Squash(given);
        var hit = options.FirstOrDefault(o => Squash(o) == g)
            ?? options.FirstOrDefault(o => Distance(Squash(o), g) <= 2);
        return hit is null ? string.Empty : $" (did you mean {hit}?)";
    }

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
        }

        return d[a.Length, b.Length];
    }
}
