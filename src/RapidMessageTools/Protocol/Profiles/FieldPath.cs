using System;
using System.Globalization;
using System.Linq;

namespace RapidMessageTools.Protocol.Profiles;

/// <summary>
/// A dotted path into a JSON frame: <c>payload.id</c>, <c>arguments.0.messageId</c>. A segment of digits indexes
/// an array (and names a property when it meets an object). Deliberately small: a JSONPath library for
/// netstandard2.0 would pull a System.Text.Json newer than PowerShell 7.4 can load.
/// </summary>
public sealed class FieldPath : IEquatable<FieldPath>
{
    private FieldPath(string text, PathSegment[] segments)
    {
        Text = text;
        Segments = segments;
    }

    public string Text { get; }

    internal PathSegment[] Segments { get; }

    /// <summary>Parses <paramref name="text"/>; null with <paramref name="problem"/> saying what is wrong.</summary>
    public static FieldPath? TryParse(string? text, out string? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            problem = "a path is empty: write a dotted path such as payload.id";
            return null;
        }

        var parts = text!.Split('.');
        var segments = new PathSegment[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            var p = parts[i];
            if (p.Length == 0)
            {
                problem = $"'{text}' has an empty segment (two dots, or a dot at an end): write segments separated by single dots, such as payload.id";
                return null;
            }

            if (p.Any(c => char.IsWhiteSpace(c) || c is '[' or ']' or '$' or '*'))
            {
                problem = $"'{text}' has '{p}', which is not a plain name or index: paths are dotted names and numbers, such as arguments.0.messageId (no spaces, brackets or wildcards)";
                return null;
            }

            segments[i] = p.All(char.IsDigit)
                ? new PathSegment(p, int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : -1)
                : new PathSegment(p, -1);
            if (p.All(char.IsDigit) && segments[i].Index < 0)
            {
                problem = $"'{text}' has an index too large: {p}";
                return null;
            }
        }

        return new FieldPath(text, segments);
    }

    public bool StartsWith(string segment) => string.Equals(Segments[0].Name, segment, StringComparison.Ordinal);

    public bool Equals(FieldPath? other) => other is not null && string.Equals(Text, other.Text, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is FieldPath p && Equals(p);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Text);

    public override string ToString() => Text;
}

/// <summary>One segment of a <see cref="FieldPath"/>: a name, and its array index when it is all digits (else -1).</summary>
internal readonly struct PathSegment
{
    public PathSegment(string name, int index)
    {
        Name = name;
        Index = index;
    }

    public string Name { get; }

    public int Index { get; }
}
