using System;
using System.Collections.Generic;
using System.Linq;

namespace RapidMessageTools.Baselines;

/// <summary>
/// The statistics a comparison rests on, deterministic and free of clocks: how many samples lie beyond a percentile,
/// the order-statistic confidence interval of a percentile read from a histogram, the median and spread of baseline
/// runs, and the two-proportion z statistic.
/// </summary>
public static class NoiseRules
{
    /// <summary>A percentile is judged only when at least this many samples lie beyond it (p99 needs 1,000 samples).</summary>
    public const int TailSamples = 10;

    /// <summary>The normal quantile of the 99 % two-sided intervals and tests (z = 2.576).</summary>
    public const double Z = 2.576;

    /// <summary>With this many baseline runs or more, a figure is judged against the runs' own spread.</summary>
    public const int SpreadRuns = 3;

    /// <summary>A change beyond the noise of several runs is more than this many times their spread (see <see cref="Spread(IReadOnlyList{double})"/>).</summary>
    public const double SpreadFactor = 2;

    /// <summary>The rank (1-based) of quantile <paramref name="q"/> (0 to 1) among <paramref name="n"/> sorted samples: ⌈n·q⌉, at least 1.</summary>
    public static long RankOf(long n, double q) => Math.Max(1, (long)Math.Ceiling((n * q) - 1e-9));

    /// <summary>Samples that lie beyond quantile <paramref name="q"/> of <paramref name="n"/>.</summary>
    public static long SamplesBeyond(long n, double q) => n <= 0 ? 0 : n - RankOf(n, q);

    /// <summary>The fewest samples with <see cref="TailSamples"/> beyond quantile <paramref name="q"/> (p99: 1,000; p95: 200; p50: 20).</summary>
    public static long SamplesNeeded(double q)
    {
        var n = (long)Math.Ceiling((TailSamples / (1 - q)) - 1e-9);
        while (SamplesBeyond(n, q) < TailSamples)
        {
            n++;
        }

        return n;
    }

    /// <summary>
    /// The value at 1-based <paramref name="rank"/> of a histogram given as its buckets in ascending order (value, count),
    /// such as <c>LatencyHistogram.RecordedValues()</c>.
    /// </summary>
    public static long ValueAtRank(IReadOnlyList<(long Value, long Count)> buckets, long rank)
    {
        if (buckets is null || buckets.Count == 0)
        {
            return 0;
        }

        long seen = 0;
        foreach (var (value, count) in buckets)
        {
            seen += count;
            if (seen >= rank)
            {
                return value;
            }
        }

        return buckets[buckets.Count - 1].Value;
    }

    /// <summary>
    /// The distribution-free confidence interval of quantile <paramref name="q"/>: the samples of ranks
    /// n·q ∓ z·√(n·q·(1−q)) (the normal approximation of the binomial count below the quantile), looked up in the histogram.
    /// </summary>
    public static (long Low, long High) QuantileInterval(IReadOnlyList<(long Value, long Count)> buckets, double q, double z = Z)
    {
        var n = buckets?.Sum(b => b.Count) ?? 0;
        if (n == 0)
        {
            return (0, 0);
        }

        var center = n * q;
        var half = z * Math.Sqrt(n * q * (1 - q));
        var low = Math.Max(1, (long)Math.Floor(center - half));
        var high = Math.Min(n, (long)Math.Ceiling(center + half));
        return (ValueAtRank(buckets!, low), ValueAtRank(buckets!, high));
    }

    public static double Median(IReadOnlyList<double> values)
    {
        if (values is null || values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.OrderBy(v => v).ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>
    /// The spread of baseline runs: the largest distance of a run from their median once the farthest tenth of the
    /// runs (rounded down: none of 3–9, one of 10–19, two of 20–29) is left out, so in a long history one run on a
    /// disturbed machine does not widen the noise until every regression hides in it. Not more: disturbed runs are
    /// part of the noise (on the mock, one 4 s run in eight has a p99 a fifth or more above the rest).
    /// </summary>
    public static double Spread(IReadOnlyList<double> values) => Spread(values, out _);

    /// <summary>The spread of <paramref name="values"/>, with the runs left out of it (farthest first) in <paramref name="leftOut"/>.</summary>
    public static double Spread(IReadOnlyList<double> values, out IReadOnlyList<double> leftOut)
    {
        leftOut = [];
        if (values is null || values.Count == 0)
        {
            return 0;
        }

        var median = Median(values);
        var farthestFirst = values.OrderByDescending(v => Math.Abs(v - median)).ToArray();
        var drop = LeftOutOf(values.Count);
        leftOut = farthestFirst.Take(drop).ToArray();
        return Math.Abs(farthestFirst[drop] - median);
    }

    /// <summary>How many of <paramref name="runs"/> baseline runs the spread leaves out: the farthest tenth, rounded down.</summary>
    public static int LeftOutOf(int runs) => runs / 10;

    /// <summary>
    /// The two-proportion z statistic of x1/n1 against x2/n2 (pooled standard error); 0 when either has no trials or the
    /// pooled share is 0 or 1 (nothing varies, so there is no evidence of a difference).
    /// </summary>
    public static double TwoProportionZ(long x1, long n1, long x2, long n2)
    {
        if (n1 <= 0 || n2 <= 0)
        {
            return 0;
        }

        var pooled = (double)(x1 + x2) / (n1 + n2);
        if (pooled <= 0 || pooled >= 1)
        {
            return 0;
        }

        var se = Math.Sqrt(pooled * (1 - pooled) * ((1.0 / n1) + (1.0 / n2)));
        return (((double)x1 / n1) - ((double)x2 / n2)) / se;
    }
}
