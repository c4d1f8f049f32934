using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using RapidMessageTools.Results;

namespace RapidMessageTools.Reporting;

/// <summary>A Markdown summary for Azure DevOps (##vso[task.uploadsummary]) or a pull request comment.</summary>
public static class MarkdownReportWriter
{
    public static string Write(IReadOnlyList<RapidScenarioResult> results)
    {
        var b = new StringBuilder();
        var failed = results.Count(r => !r.Passed);
        b.Append("## RapidMessageTools: ").Append(results.Count - failed).Append(" of ").Append(results.Count).Append(" scenarios passed\n\n");
        b.Append("| Scenario | Result | Delivered / Sent | Rejected | Lost | msg/s | p50 ms | p99 ms | p99.9 ms | Violations |\n");
        b.Append("|---|---|---|---|---|---|---|---|---|---|\n");
        foreach (var r in results)
        {
            b.Append("| ").Append(Cell(r.Scenario))
                .Append(" | ").Append(r.Passed ? "✅ passed" : "❌ failed")
                .Append(" | ").Append(r.Delivered).Append(" / ").Append(r.Sent)
                .Append(" | ").Append(r.Rejected)
                .Append(" | ").Append(r.Lost)
                .Append(" | ").Append(ReportText.Number(r.ThroughputPerSec, "0"))
                .Append(" | ").Append(ReportText.Number(r.Latency.P50))
                .Append(" | ").Append(ReportText.Number(r.Latency.P99))
                .Append(" | ").Append(ReportText.Number(r.Latency.P999))
                .Append(" | ").Append(Cell(string.Join(", ", r.Violations.Select(v => v.Code).Distinct())))
                .Append(" |\n");
        }

        WriteStreamsAndThresholds(b, results);
        foreach (var r in results.Where(r => !r.Passed))
        {
            b.Append("\n### ").Append(r.Scenario).Append(" violations\n\n");
            foreach (var v in r.Violations)
            {
                b.Append("- **").Append(v.Code).Append("**: ").Append(v.Message.Replace("\n", " ")).Append('\n');
            }
        }

        foreach (var r in results.Where(r => r.Timeline is { Length: > 0 }))
        {
            WriteTimeline(b, r);
        }

        return b.ToString();
    }

    /// <summary>Time to first chunk and chunk gaps where replies streamed, and every scenario's limits.</summary>
    private static void WriteStreamsAndThresholds(StringBuilder b, IReadOnlyList<RapidScenarioResult> results)
    {
        var streamed = results.Where(r => r.FirstChunkLatency is not null).ToArray();
        if (streamed.Length > 0)
        {
            b.Append("\n| Scenario | Streams completed / cancelled / cut | Chunks | first chunk p50 ms | first chunk p99 ms | chunk gap p99 ms | chunk gap max ms |\n");
            b.Append("|---|---|---|---|---|---|---|\n");
            foreach (var r in streamed)
            {
                b.Append("| ").Append(Cell(r.Scenario))
                    .Append(" | ").Append(r.StreamsCompleted).Append(" / ").Append(r.StreamsCancelled).Append(" / ").Append(r.StreamsCut)
                    .Append(" | ").Append(r.ChunksDelivered)
                    .Append(" | ").Append(ReportText.Number(r.FirstChunkLatency!.P50))
                    .Append(" | ").Append(ReportText.Number(r.FirstChunkLatency.P99))
                    .Append(" | ").Append(ReportText.Number(r.ChunkGap?.P99 ?? 0))
                    .Append(" | ").Append(ReportText.Number(r.ChunkGap?.Max ?? 0))
                    .Append(" |\n");
            }
        }

        b.Append('\n');
        foreach (var r in results)
        {
            b.Append("- ").Append(Cell(r.Scenario)).Append(": ").Append(ReportText.Thresholds(r)).Append('\n');
        }
    }

    /// <summary>At most <see cref="MaxRows"/> rows: intervals grouped evenly, counts summed, the worst p99 and max kept.</summary>
    private static void WriteTimeline(StringBuilder b, RapidScenarioResult r)
    {
        var t = r.Timeline;
        var group = (int)Math.Ceiling(t.Length / (double)MaxRows);
        b.Append("\n### ").Append(r.Scenario).Append(" over time (").Append(t.Length).Append(" intervals of ").Append(ReportText.Number(r.TimelineInterval)).Append(" s")
            .Append(group > 1 ? ", " + group.ToString(CultureInfo.InvariantCulture) + " per row" : string.Empty).Append(")\n\n");
        b.Append("| From s | Stage | Sent/s | Late | Delivered/s | Rejected | Lost | Errors | Connections | worst p99 ms | max ms |\n");
        b.Append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (var i = 0; i < t.Length; i += group)
        {
            var rows = t.Skip(i).Take(group).ToArray();
            var seconds = rows.Sum(e => e.Seconds);
            b.Append("| ").Append(ReportText.Number(rows[0].Elapsed))
                .Append(" | ").Append(rows.Max(e => e.Stage) is var stage && stage > 0 ? stage.ToString(CultureInfo.InvariantCulture) : "-")
                .Append(" | ").Append(ReportText.Number(rows.Sum(e => e.Sent) / seconds, "0"))
                .Append(" | ").Append(rows.Sum(e => e.LateSends))
                .Append(" | ").Append(ReportText.Number(rows.Sum(e => e.Delivered) / seconds, "0"))
                .Append(" | ").Append(rows.Sum(e => e.Rejected))
                .Append(" | ").Append(rows.Sum(e => e.Lost))
                .Append(" | ").Append(rows.Sum(e => e.Errors))
                .Append(" | ").Append(rows.Max(e => e.Connections))
                .Append(" | ").Append(ReportText.Number(rows.Max(e => e.P99)))
                .Append(" | ").Append(ReportText.Number(rows.Max(e => e.Max)))
                .Append(" |\n");
        }
    }

    private const int MaxRows = 20;

    private static string Cell(string text) => text.Replace("|", "\\|").Replace("\n", " ");
}
