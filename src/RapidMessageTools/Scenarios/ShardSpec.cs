using System;
using System.Globalization;

namespace RapidMessageTools.Scenarios;

/// <summary>Part <see cref="Index"/> of <see cref="Count"/> of a load split over processes or machines (-Shard i/n).</summary>
public readonly struct ShardSpec
{
    public ShardSpec(int index, int count)
    {
        Index = index;
        Count = count;
    }

    /// <summary>The whole load: 1/1.</summary>
    public static ShardSpec Whole { get; } = new(1, 1);

    /// <summary>1-based.</summary>
    public int Index { get; }

    public int Count { get; }

    /// <summary>"i/n" with 1 ≤ i ≤ n; null or empty is the whole load. Throws <see cref="ArgumentException"/> saying what is expected.</summary>
    public static ShardSpec Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Whole;
        }

        var parts = text!.Split('/');
        if (parts.Length == 2 &&
            int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var i) &&
            int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) &&
            n >= 1 && i >= 1 && i <= n)
        {
            return new ShardSpec(i, n);
        }

        throw new ArgumentException($"-Shard '{text}' must be i/n with 1 <= i <= n, such as 2/8.", "Shard");
    }

    public override string ToString() => Index.ToString(CultureInfo.InvariantCulture) + "/" + Count.ToString(CultureInfo.InvariantCulture);
}
