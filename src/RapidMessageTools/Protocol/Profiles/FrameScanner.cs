using System;
using System.Text.Json;

namespace RapidMessageTools.Protocol.Profiles;

/// <summary>
/// Reads values out of a JSON frame in one forward pass with <see cref="Utf8JsonReader"/>: no document is
/// built, and what a path does not lead to is skipped. A frame that is not one JSON object throws
/// <see cref="JsonException"/> (callers count it as malformed).
/// </summary>
internal static class FrameScanner
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };

    /// <summary>A reader over <paramref name="utf8"/>, positioned on the opening brace of its one object.</summary>
    public static Utf8JsonReader Open(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, isFinalBlock: true, new JsonReaderState(Options));
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("not a JSON object");
        }

        return reader;
    }

    /// <summary>Checks that <paramref name="utf8"/> is exactly one JSON object (nothing but white space after it).</summary>
    public static void CheckWhole(ReadOnlySpan<byte> utf8)
    {
        var reader = Open(utf8);
        reader.Skip();
        if (reader.Read())
        {
            throw new JsonException("text after the object");
        }
    }

    /// <summary>The string at <paramref name="path"/>, or null when the path leads nowhere or to something else.</summary>
    public static string? ReadString(ReadOnlySpan<byte> utf8, PathSegment[] path)
    {
        var reader = Open(utf8);
        return Seek(ref reader, path, 0) && reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
    }

    /// <summary>An id at <paramref name="path"/>: a string, or an integer as its text.</summary>
    public static string? ReadId(ReadOnlySpan<byte> utf8, PathSegment[] path)
    {
        var reader = Open(utf8);
        if (!Seek(ref reader, path, 0))
        {
            return null;
        }

        return reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Number when reader.TryGetInt64(out var n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => null,
        };
    }

    /// <summary>SignalR's top-level record fields, in one pass: <c>type</c>, <c>target</c>, <c>invocationId</c>, <c>error</c>.</summary>
    public static void ReadHubRecord(ReadOnlySpan<byte> utf8, out int type, out string? target, out string? invocationId, out string? error)
    {
        type = -1;
        target = invocationId = error = null;
        var reader = Open(utf8);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var t))
                {
                    type = t;
                }
            }
            else if (reader.ValueTextEquals("target"u8))
            {
                reader.Read();
                target = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("invocationId"u8))
            {
                reader.Read();
                invocationId = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                error = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else
            {
                reader.Read();
            }

            reader.Skip();
        }
    }

    /// <summary>Moves <paramref name="reader"/> (on a value) to the value at <paramref name="path"/> from <paramref name="depth"/>; false when there is none.</summary>
    public static bool Seek(ref Utf8JsonReader reader, PathSegment[] path, int depth)
    {
        if (depth == path.Length)
        {
            return true;
        }

        var segment = path[depth];
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var match = reader.ValueTextEquals(segment.Name);
                reader.Read();
                if (match)
                {
                    return Seek(ref reader, path, depth + 1);
                }

                reader.Skip();
            }

            return false;
        }

        if (reader.TokenType == JsonTokenType.StartArray && segment.Index >= 0)
        {
            var i = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (i++ == segment.Index)
                {
                    return Seek(ref reader, path, depth + 1);
                }

                reader.Skip();
            }
        }

        return false;
    }
}
