using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using RapidMessageTools.Metrics;

namespace RapidMessageTools.Scenarios;

/// <summary>
/// Merges results of one scenario from shards or machines exactly: histograms added bucket by bucket,
/// counters summed, throughput over the union of the shards' windows, thresholds judged on the whole.
/// </summary>
public static class ResultMerger
{
    /// <summary>Codes judged on the merged figures rather than carried over from a shard.</summary>
    private static readonly HashSet<string> ThresholdCodes = new(StringComparer.Ordinal)
    {
        ViolationCode.Latency, ViolationCode.Throughput, ViolationCode.DeliveryRatio, ViolationCode.MemoryGrowth,
    };

    public static RapidScenarioResult Merge(IReadOnlyList<RapidScenarioResult> results)
    {
        if (results is null || results.Count == 0)
        {
            throw new ArgumentException("Give at least one result to merge.");
        }

        var names = results.Select(r => r.Scenario).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        if (names.Length != 1)
        {
            throw new ArgumentException($"Merge results of one scenario at a time; got {string.Join(", ", names)}.");
        }

        var latency = LatencyHistogram.Import(RapidHistogram.Merge(results.Select(r => r.Histogram).ToArray()));
        var service = LatencyHistogram.Import(RapidHistogram.Merge(results.Select(r => r.ServiceHistogram).ToArray()));
        var delivered = results.Sum(r => r.Delivered);
        var lost = results.Sum(r => r.Lost);
        var start = results.Min(r => r.WindowStart);
        var end = results.Max(r => r.WindowEnd);
        var seconds = (end - start).TotalSeconds;
        var throughput = seconds > 0 ? Math.Round(delivered / seconds, 1) : 0;
        var distinct = results.Sum(r => r.Distinct);
        var rejected = results.Sum(r => r.Rejected);
        var rejectionsExpected = results.Any(r => r.RejectionsExpected);
        var ratio = ResultBuilder.DeliveryRatio(delivered, distinct, distinct - rejected, rejectionsExpected);
        var memory = results.Max(r => r.MemoryGrowthBytes);
        var thresholds = results[0].Thresholds ?? new RapidThresholds();

        var violations = new List<RapidViolation>();
        foreach (var r in results)
        {
            foreach (var v in r.Violations.Where(v => !ThresholdCodes.Contains(v.Code)))
            {
                violations.Add(new RapidViolation(v.Code, "shard " + r.Shard + ": " + v.Message, v.Measure, v.Limit, v.Value));
            }
        }

        var summary = latency.Summarize();
        var known = ScenarioRegistry.TryGet(names[0], out var scenario);
        var checksThroughput = results.Any(r => r.Violations.Any(v => v.Code == ViolationCode.Throughput)) || (known && scenario.ChecksThroughput);
        var checksLatency = results.Any(r => r.Violations.Any(v => v.Code == ViolationCode.Latency)) || !known || scenario.ChecksLatency;
        var interrupted = results.Any(r => r.Outcome == RapidOutcome.Interrupted);
        if (!interrupted && distinct > 0)
        {
            violations.AddRange(thresholds.Evaluate(
                summary, throughput, ratio, memory, checksLatency, checksThroughput,
                ResultBuilder.DeliveryDetail(delivered, distinct, rejected, rejectionsExpected)));
        }

        var outcome = RapidOutcomes.Decide(violations, interrupted);

        var serverGrowth = results.Where(r => r.ServerMemoryGrowthBytes is not null).Select(r => r.ServerMemoryGrowthBytes!.Value).ToArray();
        return new RapidScenarioResult
        {
            Scenario = results[0].Scenario,
            Outcome = outcome,
            Passed = outcome == RapidOutcome.Passed,
            Violations = violations.ToArray(),
            Sent = results.Sum(r => r.Sent),
            Distinct = distinct,
            Accepted = distinct - rejected,
            Delivered = delivered,
            Rejected = rejected,
            RejectionsExpected = rejectionsExpected,
            Lost = lost,
            Duplicates = results.Sum(r => r.Duplicates),
            OutOfOrder = results.Sum(r => r.OutOfOrder),
            DeliveryRatio = ratio,
            ThroughputPerSec = throughput,
            Latency = summary,
            ServiceLatency = service.Summarize(),
            Histogram = latency.Export(),
            ServiceHistogram = service.Export(),
            Timeline = RunTimeline.Merge(results.Select(r => r.Timeline)),
            TimelineInterval = results.Max(r => r.TimelineInterval),
            MemoryGrowthBytes = memory,
            ServerMemoryGrowthBytes = serverGrowth.Length == 0 ? null : serverGrowth.Max(),
            ConnectionDrops = results.Sum(r => r.ConnectionDrops),
            Duration = Math.Round((results.Max(r => r.StartTime.AddSeconds(r.Duration)) - results.Min(r => r.StartTime)).TotalSeconds, 3),
            OverflowProvoked = results.Any(r => r.OverflowProvoked is not null) ? results.Any(r => r.OverflowProvoked == true) : null,
            LateSends = results.Sum(r => r.LateSends),
            GeneratorFellBehind = results.Any(r => r.GeneratorFellBehind),
            UnmatchedFrames = results.Sum(r => r.UnmatchedFrames),
            MalformedFrames = results.Sum(r => r.MalformedFrames),
            CloseReasons = results.SelectMany(r => r.CloseReasons).ToArray(),
            Notes = results.SelectMany(r => r.Notes).Distinct().Append(FormattableString.Invariant($"Merged from {results.Count} results: shards {string.Join(", ", results.Select(r => r.Shard))}.")).ToArray(),
            Url = string.Join(", ", results.Select(r => r.Url).Distinct()),
            RunId = string.Join(",", results.Select(r => r.RunId).Distinct()),
            Shard = string.Join(",", results.Select(r => r.Shard.Split('/')[0])) + "/" + results[0].Shard.Split('/').Last(),
            StartTime = results.Min(r => r.StartTime),
            WindowStart = start,
            WindowEnd = end,
            Parameters = MergeParameters(results),
            Thresholds = thresholds,
            Settings = results[0].Settings,
            Machine = string.Join("; ", results.Select(r => r.Machine).Distinct()),
        };
    }

    /// <summary>
    /// Throws <see cref="InvalidDataException"/> naming what cannot be merged: a histogram whose encoded
    /// form does not decode or holds another count than it claims, a negative count, a shard that is not "i/n".
    /// </summary>
    public static void Validate(RapidScenarioResult result)
    {
        if (result is null)
        {
            throw new ArgumentNullException(nameof(result));
        }

        foreach (var property in typeof(RapidScenarioResult).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.PropertyType == typeof(RapidHistogram)))
        {
            ValidateHistogram(property.Name, (RapidHistogram?)property.GetValue(result));
        }

        var counts = new (string Name, long Value)[]
        {
            (nameof(result.Sent), result.Sent), (nameof(result.Delivered), result.Delivered), (nameof(result.Rejected), result.Rejected),
            (nameof(result.Lost), result.Lost), (nameof(result.Duplicates), result.Duplicates), (nameof(result.OutOfOrder), result.OutOfOrder),
            (nameof(result.ConnectionDrops), result.ConnectionDrops), (nameof(result.LateSends), result.LateSends),
        };
        foreach (var (name, value) in counts.Where(c => c.Value < 0))
        {
            throw new InvalidDataException(FormattableString.Invariant($"{name} is {value}; a count cannot be negative."));
        }

        if (ParseShard(result.Shard) is null)
        {
            throw new InvalidDataException($"Shard is '{result.Shard}', not 'i/n' (or 'i,j/n' for a merged result).");
        }
    }

    /// <summary>
    /// The shards of an <c>n</c>-shard load that none of <paramref name="results"/> covers (empty when all
    /// are there), and the shard counts the results name (more than one when they come from different loads).
    /// </summary>
    public static (int[] Missing, int[] Totals) MissingShards(IEnumerable<RapidScenarioResult> results)
    {
        var parsed = results.Select(r => ParseShard(r.Shard)).Where(s => s is not null).Select(s => s!.Value).ToArray();
        var totals = parsed.Select(s => s.Total).Distinct().OrderBy(t => t).ToArray();
        if (totals.Length != 1)
        {
            return ([], totals);
        }

        var present = new HashSet<int>(parsed.SelectMany(s => s.Parts));
        return (Enumerable.Range(1, totals[0]).Where(i => !present.Contains(i)).ToArray(), totals);
    }

    private static (int[] Parts, int Total)? ParseShard(string? shard)
    {
        var halves = (shard ?? string.Empty).Split('/');
        if (halves.Length != 2 || !int.TryParse(halves[1], NumberStyles.None, CultureInfo.InvariantCulture, out var total) || total < 1)
        {
            return null;
        }

        var parts = new List<int>();
        foreach (var part in halves[0].Split(','))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var i) || i < 1 || i > total)
            {
                return null;
            }

            parts.Add(i);
        }

        return (parts.ToArray(), total);
    }

    private static void ValidateHistogram(string name, RapidHistogram? histogram)
    {
        if (histogram is null)
        {
            return;
        }

        if (string.IsNullOrEmpty(histogram.Encoded))
        {
            if (histogram.TotalCount != 0)
            {
                throw new InvalidDataException(FormattableString.Invariant($"{name} claims {histogram.TotalCount} samples but carries no encoded histogram."));
            }

            return;
        }

        long decoded;
        try
        {
            decoded = LatencyHistogram.Import(histogram).Summarize().Count;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or IndexOutOfRangeException or InvalidOperationException or NotSupportedException or OverflowException)
        {
            throw new InvalidDataException($"{name}.Encoded is not an encoded histogram ({e.Message}).", e);
        }

        if (decoded != histogram.TotalCount)
        {
            throw new InvalidDataException(FormattableString.Invariant($"{name} claims {histogram.TotalCount} samples but its encoded form holds {decoded}."));
        }
    }

    private static RapidScenarioParameters MergeParameters(IReadOnlyList<RapidScenarioResult> results)
    {
        var p = (results[0].Parameters ?? new RapidScenarioParameters()).Clone();
        // A sharded load's size is the whole load each shard was given a part of.
        p.Connections = results.Sum(r => r.Parameters?.Connections ?? 0);
        return p;
    }
}
