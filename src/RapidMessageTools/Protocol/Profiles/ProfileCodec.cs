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
    private readonly Dictionary<string, ReadNode> _readers = new(StringComparer.Ordinal);
    private readonly Func<string, string> _errorFromWire;

    public ProfileCodec(ProtocolProfile profile)
    {
        Profile = profile ?? throw new ArgumentNullException(nameof(profile));
        _errorFromWire = profile.ErrorCodeFromWire;
        foreach (var m in profile.Messages)
        {
            _templates[m.Message.Type] = WriteNode.Build(m, profile.TypeField);
            _readers[m.Message.Type] = ReadNode.Build(m);
        }
    }

    public ProtocolProfile Profile { get; }

    /// <summary>The wire type of the frame at the profile's type field, or null. Throws <see cref="JsonException"/> when it is not a JSON object.</summary>
    public string? WireTypeOf(ReadOnlySpan<byte> utf8) => FrameScanner.ReadString(utf8, Profile.TypeField.Segments);

    /// <summary>
    /// Reads <paramref name="utf8"/> as <paramref name="mapping"/>'s message in one pass: fields at their paths,
    /// the rest skipped. A required field that is missing, or any field of the wrong JSON type, is recorded
    /// against its profile key.
    /// </summary>
    public ProtocolFrame Read(ReadOnlySpan<byte> utf8, MessageMapping mapping, ProtocolObservations? observations)
    {
        var frame = new ProtocolFrame { Type = mapping.Message.Type };
        observations?.Decoded(mapping.Message.Type);
        var reader = FrameScanner.Open(utf8);
        var node = _readers[mapping.Message.Type];
        ulong found = 0;
        ulong wrong = 0;
        node.Walk(ref reader, frame, ref found, ref wrong, _errorFromWire);
        if (observations is not null)
        {
            var fields = mapping.Message.Fields;
            for (var i = 0; i < fields.Count; i++)
            {
                var bit = 1UL << i;
                if ((wrong & bit) != 0)
                {
                    frame.InvalidField ??= fields[i].Name;
                    observations.Mismatch(mapping.Message.Type, Key(mapping, fields[i]), $"'{mapping.Fields[fields[i].Name].Text}' held a value that is not {KindText(fields[i].Kind)}", utf8);
                }
                else if ((found & bit) == 0 && mapping.Fields.ContainsKey(fields[i].Name) && IsRequired(mapping.Message, fields[i].Name))
                {
                    observations.Mismatch(mapping.Message.Type, Key(mapping, fields[i]), $"path '{mapping.Fields[fields[i].Name].Text}' found nothing", utf8);
                }
            }
        }
        else if (wrong != 0)
        {
            for (var i = 0; i < mapping.Message.Fields.Count; i++)
            {
                if ((wrong & (1UL << i)) != 0)
                {
                    frame.InvalidField ??= mapping.Message.Fields[i].Name;
                }
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

    private static string KindText(FieldKind kind) => kind switch
    {
        FieldKind.Id => "a string or integer id",
        FieldKind.Text => "a string",
        FieldKind.Integer => "an integer",
        FieldKind.Number => "a number",
        _ => "true or false",
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
                if (m.Fields.TryGetValue(field.Name, out var path))
                {
                    root.Add(path.Segments, 0).Field = field;
                }
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
                // A hub method's arguments are positional: every mapped position is written (null when the frame
                // has no value), so the invocation has the arity the method expects.
                var last = -1;
                foreach (var c in _children)
                {
                    if (c.Index > last && (Always || c.HasValue(f)))
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

    /// <summary>One node of a message's read tree: the paths of its fields, merged, so one pass reads them all.</summary>
    private sealed class ReadNode
    {
        private readonly List<ReadNode> _children = [];
        private readonly byte[] _name;

        private ReadNode(string name, int index)
        {
            _name = System.Text.Encoding.UTF8.GetBytes(name);
            Index = index;
        }

        private int Index { get; }

        private CanonicalField? Field { get; set; }

        private int FieldBit { get; set; } = -1;

        public static ReadNode Build(MessageMapping m)
        {
            var root = new ReadNode(string.Empty, -1);
            for (var i = 0; i < m.Message.Fields.Count; i++)
            {
                var field = m.Message.Fields[i];
                if (!m.Fields.TryGetValue(field.Name, out var path))
                {
                    // Not on this backend's wire (a field the profile maps to null).
                    continue;
                }

                var node = root;
                foreach (var s in path.Segments)
                {
                    var next = node._children.FirstOrDefault(c => c.Index == s.Index && c._name.AsSpan().SequenceEqual(System.Text.Encoding.UTF8.GetBytes(s.Name)));
                    if (next is null)
                    {
                        next = new ReadNode(s.Name, s.Index);
                        node._children.Add(next);
                    }

                    node = next;
                }

                node.Field = field;
                node.FieldBit = i;
            }

            return root;
        }

        /// <summary>Reads the value <paramref name="reader"/> is on as this node; containers descend into the children's paths.</summary>
        public void Walk(ref Utf8JsonReader reader, ProtocolFrame frame, ref ulong found, ref ulong wrong, Func<string, string> errorFromWire)
        {
            if (Field is not null)
            {
                var bit = 1UL << FieldBit;
                if (reader.TokenType != JsonTokenType.Null)
                {
                    found |= bit;
                }

                if (!Field.TryRead(ref reader, frame, Field.Name == "code" ? errorFromWire : null))
                {
                    wrong |= bit;
                    reader.Skip();
                }

                return;
            }

            if (reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    ReadNode? child = null;
                    foreach (var c in _children)
                    {
                        if (reader.ValueTextEquals(c._name))
                        {
                            child = c;
                            break;
                        }
                    }

                    reader.Read();
                    if (child is null)
                    {
                        reader.Skip();
                    }
                    else
                    {
                        child.Walk(ref reader, frame, ref found, ref wrong, errorFromWire);
                    }
                }
            }
            else if (reader.TokenType == JsonTokenType.StartArray)
            {
                var i = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    ReadNode? child = null;
                    foreach (var c in _children)
                    {
                        if (c.Index == i)
                        {
                            child = c;
                            break;
                        }
                    }

                    i++;
                    if (child is null)
                    {
                        reader.Skip();
                    }
                    else
                    {
                        child.Walk(ref reader, frame, ref found, ref wrong, errorFromWire);
                    }
                }
            }
            else
            {
                reader.Skip();
            }
        }
    }
}
