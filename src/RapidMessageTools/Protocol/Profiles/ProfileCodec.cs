using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;

namespace RapidMessageTools.Protocol.Profiles;

/// <summary>
/// Translates one JSON object between a profile's wire shape and a canonical <see cref="ProtocolFrame"/>.
/// Reading follows each field's path; writing walks a tree built once per message from the paths, so a
/// frame is written in one pass with no intermediate document.
/// </summary>
public sealed class ProfileCodec
{
    private readonly Dictionary<string, WriteNode> _templates = new(StringComparer.Ordinal);
    private readonly Func<string, string> _errorFromWire;

    public ProfileCodec(ProtocolProfile profile)
    {
        Profile = profile ?? throw new ArgumentNullException(nameof(profile));
        _errorFromWire = profile.ErrorCodeFromWire;
        foreach (var m in profile.Messages)
        {
            _templates[m.Message.Type] = WriteNode.Build(m, profile.TypeField);
        }
    }

    public ProtocolProfile Profile { get; }

    /// <summary>The wire type of <paramref name="root"/> at the profile's type field, or null.</summary>
    public string? WireTypeOf(JsonElement root) =>
        Profile.TypeField.TryGet(root, out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;

    /// <summary>
    /// Reads <paramref name="root"/> as <paramref name="mapping"/>'s message. Fields are read at their paths;
    /// a required field that is missing, or any field of the wrong JSON type, is recorded against its profile key.
    /// </summary>
    public ProtocolFrame Read(JsonElement root, MessageMapping mapping, ReadOnlySpan<byte> raw, ProtocolObservations? observations)
    {
        var frame = new ProtocolFrame { Type = mapping.Message.Type };
        observations?.Decoded(mapping.Message.Type);
        foreach (var field in mapping.Message.Fields)
        {
            var path = mapping.Fields[field.Name];
            if (!path.TryGet(root, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                if (observations is not null && IsRequired(mapping.Message, field.Name))
                {
                    observations.Mismatch(mapping.Message.Type, Key(mapping, field), $"path '{path.Text}' found nothing", raw);
                }

                continue;
            }

            if (!field.TryRead(value, frame, field.Name == "code" ? _errorFromWire : null))
            {
                frame.InvalidField ??= field.Name;
                observations?.Mismatch(mapping.Message.Type, Key(mapping, field), $"'{path.Text}' held {Describe(value)}, not {KindText(field.Kind)}", raw);
            }
        }

        return frame;
    }

    /// <summary>Writes <paramref name="frame"/> (canonical) in the profile's shape.</summary>
    public void Write(ProtocolFrame frame, Utf8JsonWriter writer)
    {
        if (frame.Type is null || !_templates.TryGetValue(frame.Type, out var template))
        {
            throw new InvalidOperationException($"The profile {Profile.Name} has no mapping for '{frame.Type}' (it is listed in Unsupported).");
        }

        template.Write(frame, writer, Profile);
        writer.Flush();
    }

    /// <summary>Whether the profile can write this canonical message.</summary>
    public bool CanWrite(string type) => _templates.ContainsKey(type);

    private bool IsRequired(CanonicalMessage message, string field) =>
        message.Required.Contains(field) && !(Profile.Correlation == ProfileCorrelation.Order && field == "message_id" && !message.FromClient);

    private static string Key(MessageMapping m, CanonicalField f) => $"Messages.{m.Message.Type}.Fields.{f.Name}";

    internal static bool TryConvert(FieldKind kind, JsonElement value, out object? converted)
    {
        converted = null;
        switch (kind)
        {
            case FieldKind.Id when value.ValueKind == JsonValueKind.String:
            case FieldKind.Text when value.ValueKind == JsonValueKind.String:
                converted = value.GetString();
                return true;
            case FieldKind.Id when value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var id):
                converted = id.ToString(CultureInfo.InvariantCulture);
                return true;
            case FieldKind.Integer when value.ValueKind == JsonValueKind.Number:
                if (value.TryGetInt64(out var l))
                {
                    converted = l;
                    return true;
                }

                var d = value.GetDouble();
                if (Math.Abs(d - Math.Round(d)) < double.Epsilon && d >= long.MinValue && d <= long.MaxValue)
                {
                    converted = (long)d;
                    return true;
                }

                return false;
            case FieldKind.Number when value.ValueKind == JsonValueKind.Number:
                converted = value.GetDouble();
                return true;
            case FieldKind.Boolean when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                converted = value.ValueKind == JsonValueKind.True;
                return true;
            default:
                return false;
        }
    }

    private static string KindText(FieldKind kind) => kind switch
    {
        FieldKind.Id => "a string or integer id",
        FieldKind.Text => "a string",
        FieldKind.Integer => "an integer",
        FieldKind.Number => "a number",
        _ => "true or false",
    };

    private static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number (" + e.GetRawText() + ")",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => e.ValueKind.ToString().ToLowerInvariant(),
    };

    /// <summary>One node of a message's write tree: an object, an array, a field's value, or a constant.</summary>
    private sealed class WriteNode
    {
        private readonly List<WriteNode> _children = [];

        private WriteNode(string name, int index)
        {
            Name = name;
            Index = index;
        }

        public string Name { get; }

        public int Index { get; }

        public bool IsArray { get; private set; }

        public CanonicalField? Field { get; private set; }

        public string? Constant { get; private set; }

        public int? NumberConstant { get; private set; }

        /// <summary>Written even when nothing under it has a value (SignalR's <c>arguments</c>).</summary>
        public bool Always { get; private set; }

        public static WriteNode Build(MessageMapping m, FieldPath typeField)
        {
            var root = new WriteNode(string.Empty, -1);
            if (m.WireType is not null)
            {
                root.Add(typeField.Segments, 0).Constant = m.WireType;
            }

            foreach (var field in m.Message.Fields)
            {
                root.Add(m.Fields[field.Name].Segments, 0).Field = field;
            }

            return root;
        }

        /// <summary>
        /// SignalR: a record's <c>type</c> number; an invocation always has an <c>arguments</c> array; a Completion
        /// whose message the profile maps no result for still carries one (the canonical name, as a hub method
        /// returning a value would), so a client's <c>InvokeAsync&lt;T&gt;</c> gets a value.
        /// </summary>
        public static void AddRecordShape(WriteNode root, int recordType, bool arguments, string replyName)
        {
            var type = root._children.FirstOrDefault(c => c.Name == "type") ?? root.Child("type", -1);
            type.NumberConstant = recordType;
            if (arguments)
            {
                var a = root._children.FirstOrDefault(c => c.Name == "arguments") ?? root.Child("arguments", -1);
                a.IsArray = true;
                a.Always = true;
            }
            else if (root._children.All(c => c.Name != "result"))
            {
                root.Child("result", -1).Constant = replyName;
            }
        }

        private WriteNode Add(PathSegment[] segments, int at)
        {
            var s = segments[at];
            var child = _children.FirstOrDefault(c => c.Name == s.Name) ?? Child(s.Name, s.Index);
            if (at + 1 < segments.Length)
            {
                child.IsArray = segments[at + 1].Index >= 0;
                return child.Add(segments, at + 1);
            }

            return child;
        }

        private WriteNode Child(string name, int index)
        {
            var c = new WriteNode(name, index);
            _children.Add(c);
            return c;
        }

        private bool HasValue(ProtocolFrame f) =>
            Constant is not null || NumberConstant is not null || Always || (Field is not null ? Field.HasValue(f) : AnyChildHasValue(f));

        private bool AnyChildHasValue(ProtocolFrame f)
        {
            foreach (var c in _children)
            {
                if (c.HasValue(f))
                {
                    return true;
                }
            }

            return false;
        }

        public void Write(ProtocolFrame f, Utf8JsonWriter w, ProtocolProfile profile)
        {
            if (Constant is not null)
            {
                w.WriteStringValue(Constant);
            }
            else if (NumberConstant is { } n)
            {
                w.WriteNumberValue(n);
            }
            else if (Field is not null)
            {
                Field.WriteValue(f, w, Field.Name == "code" ? profile.ErrorCodeToWire : null);
            }
            else if (IsArray)
            {
                w.WriteStartArray();
                var last = -1;
                foreach (var c in _children)
                {
                    if (c.Index > last && c.HasValue(f))
                    {
                        last = c.Index;
                    }
                }

                for (var i = 0; i <= last; i++)
                {
                    WriteNode? at = null;
                    foreach (var c in _children)
                    {
                        if (c.Index == i)
                        {
                            at = c;
                            break;
                        }
                    }

                    if (at is not null && at.HasValue(f))
                    {
                        at.Write(f, w, profile);
                    }
                    else
                    {
                        w.WriteNullValue();
                    }
                }

                w.WriteEndArray();
            }
            else
            {
                w.WriteStartObject();
                foreach (var c in _children)
                {
                    if (c.HasValue(f))
                    {
                        w.WritePropertyName(c.Name);
                        c.Write(f, w, profile);
                    }
                }

                w.WriteEndObject();
            }
        }

        internal void MarkRecord(int recordType, bool arguments, string replyName) => AddRecordShape(this, recordType, arguments, replyName);
    }

    /// <summary>SignalR: every invocation carries <c>"type": 1</c> and an <c>arguments</c> array; every reply is a Completion (<c>"type": 3</c>).</summary>
    internal void ShapeAsHubRecords()
    {
        foreach (var m in Profile.Messages)
        {
            var t = _templates[m.Message.Type];
            if (m.WireType is null)
            {
                t.MarkRecord(3, arguments: false, m.Message.Type);
            }
            else
            {
                t.MarkRecord(1, arguments: true, m.Message.Type);
            }
        }
    }
}
