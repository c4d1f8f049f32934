using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using RapidMessageTools.Metrics;

namespace RapidMessageTools.Results;

/// <summary>
/// Merges results of one scenario from shards or machines exactly: histograms added bucket by bucket,
/// counters summed, throughput over the union of the shards' windows, thresholds judged on the whole.
/// </summary>
public static class ResultMerger
{
    /// <summary>Codes judged on the merged figures rather than carried over from a shard.</summary>
    private static readonly HashSet<string> ThresholdCodes = new(ThresholdResolver.Judged.Select(l => l.Code!), StringComparer.Ordinal);

    /// <summary>
    /// Merges <paramref name="results"/> (one scenario). <paramref name="judging"/>: which limits the scenario judges
    /// on every run; null for a scenario this version does not know (latency is judged, throughput only where a shard judged it).
    /// </summary>
    public static RapidScenarioResult Merge(IReadOnlyList<RapidScenarioResult> results, ScenarioJudging? judging)
    {
        RequireOneScenario(results);
        var merged = MergeFigures(results);
        Judge(merged, results, judging);
        return merged;
    }

    private static void RequireOneScenario(IReadOnlyList<RapidScenarioResult> results)
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
    }

    /// <summary>The figures of the whole load: histograms added, counters summed, throughput over the union of the windows.</summary>
    private static RapidScenarioResult MergeFigures(IReadOnlyList<RapidScenarioResult> results)
    {
        var latency = LatencyHistogram.Import(RapidHistogram.Merge(results.Select(r => r.Histogram).ToArray()));
        var service = LatencyHistogram.Import(RapidHistogram.Merge(results.Select(r => r.ServiceHistogram).ToArray()));
        var delivered = results.Sum(r => r.Delivered);
        var start = results.Min(r => r.WindowStart);
        var end = results.Max(r => r.WindowEnd);
        var seconds = (end - start).TotalSeconds;
        var distinct = results.Sum(r => r.Distinct);
        var rejected = results.Sum(r => r.Rejected);
        var rejectionsExpected = results.Any(r => r.RejectionsExpected);
        var serverGrowth = results.Where(r => r.ServerMemoryGrowthBytes is not null).Select(r => r.ServerMemoryGrowthBytes!.Value).ToArray();
        var merged = new RapidScenarioResult
        {
            Scenario = results[0].Scenario,
            Sent = results.Sum(r => r.Sent),
            Distinct = distinct,
            Accepted = distinct - rejected,
            Delivered = delivered,
            Rejected = rejected,
            RejectionsExpected = rejectionsExpected,
            Lost = results.Sum(r => r.Lost),
            Duplicates = results.Sum(r => r.Duplicates),
            OutOfOrder = results.Sum(r => r.OutOfOrder),
            DeliveryRatio = DeliveryFigures.Ratio(delivered, distinct, distinct - rejected, rejectionsExpected),
            ThroughputPerSec = seconds > 0 ? Math.Round(delivered / seconds, 1) : 0,
            Latency = latency.Summarize(),
            ServiceLatency = service.Summarize(),
            Histogram = latency.Export(),
            ServiceHistogram = service.Export(),
            Timeline = RunTimeline.Merge(results.Select(r => r.Timeline)),
            TimelineInterval = results.Max(r => r.TimelineInterval),
            MemoryGrowthBytes = results.Max(r => r.MemoryGrowthBytes),
            ServerMemoryGrowthBytes = serverGrowth.Length == 0 ? null : serverGrowth.Max(),
            ConnectionDrops = results.Sum(r => r.ConnectionDrops),
            Duration = Math.Round((results.Max(r => r.StartTime.AddSeconds(r.Duration)) - results.Min(r => r.StartTime)).TotalSeconds, 3),
            OverflowProvoked = results.Any(r => r.OverflowProvoked is not null) ? results.Any(r => r.OverflowProvoked == true) : null,
            LateSends = results.Sum(r => r.LateSends),
            GeneratorFellBehind = results.Any(r => r.GeneratorFellBehind),
            UnmatchedFrames = results.Sum(r => r.UnmatchedFrames),
            Protocol = results[0].Protocol,
            UnmappedFrames = results.SelectMany(r => r.UnmappedFrames).GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(p => p.Value), StringComparer.Ordinal),
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
            Thresholds = results[0].Thresholds ?? new RapidThresholds(),
            Settings = results[0].Settings,
            Machine = string.Join("; ", results.Select(r => r.Machine).Distinct()),
        };
        MergeStreams(merged, results);
        return merged;
    }

    /// <summary>The streamed replies' figures; the summaries and histograms only when a shard saw a stream.</summary>
    private static void MergeStreams(RapidScenarioResult merged, IReadOnlyList<RapidScenarioResult> results)
    {
        merged.ChunksDelivered = results.Sum(r => r.ChunksDelivered);
        merged.StreamsCompleted = results.Sum(r => r.StreamsCompleted);
        merged.StreamsCut = results.Sum(r => r.StreamsCut);
        merged.StreamsCancelled = results.Sum(r => r.StreamsCancelled);
        if (results.Any(r => r.FirstChunkHistogram is not null || r.ChunkGapHistogram is not null))
        {
            var firstChunk = LatencyHistogram.Import(RapidHistogram.Merge(results.Select(r => r.FirstChunkHistogram).ToArray()));
            var chunkGap = LatencyHistogram.Import(RapidHistogram.Merge(results.Select(r => r.ChunkGapHistogram).ToArray()));
            merged.FirstChunkLatency = firstChunk.Summarize();
            merged.ChunkGap = chunkGap.Summarize();
            merged.FirstChunkHistogram = firstChunk.Export();
            merged.ChunkGapHistogram = chunkGap.Export();
        }
    }

    /// <summary>
    /// The shards' own findings carried over (each named by its shard), the limits judged again on the merged
    /// figures (a limit a shard judged is judged on the whole too), and the outcome they make.
    /// </summary>
    private static void Judge(RapidScenarioResult merged, IReadOnlyList<RapidScenarioResult> results, ScenarioJudging? judging)
    {
        var violations = results
            .SelectMany(r => r.Violations.Where(v => !ThresholdCodes.Contains(v.Code)).Select(v => new RapidViolation(v.Code, "shard " + r.Shard + ": " + v.Message, v.Measure, v.Limit, v.Value)))
            .ToList();
        var interrupted = results.Any(r => r.Outcome == RapidOutcome.Interrupted);
        if (!interrupted && merged.Distinct > 0)
        {
            var judgedInShards = new HashSet<string>(results.SelectMany(r => r.Violations).Select(v => v.Code).Where(ThresholdCodes.Contains), StringComparer.Ordinal);
            violations.AddRange(merged.Thresholds.Evaluate(merged, judging, judgedInShards));
        }

        merged.Violations = violations.ToArray();
        merged.Outcome = RapidOutcomes.Decide(violations, interrupted);
        merged.Passed = merged.Outcome == RapidOutcome.Passed;
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
