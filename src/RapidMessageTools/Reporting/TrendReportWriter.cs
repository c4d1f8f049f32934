using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text;
using RapidMessageTools.Baselines;

namespace RapidMessageTools.Reporting;

/// <summary>
/// One self-contained HTML page of a history of runs (<see cref="RunTrend"/>): where the runs came from and what was not
/// read, then per scenario its series (settings, runs, regressed points) and inline SVG charts of p99 latency and
/// throughput (scenario runs) and capacity (Find-RapidCapacity searches) against the runs in order of time.
/// No script, no stylesheet link, no external reference of any kind.
/// </summary>
public static class TrendReportWriter
{
    /// <summary>
    /// The page. <paramref name="history"/> names the folder read; <paramref name="unread"/> says, file by file, what
    /// could not be read (those runs are missing from the charts); <paramref name="last"/> is the window of each series.
    /// </summary>
    public static string Write(RunTrend trend, string history, IReadOnlyList<string> unread, int last)
    {
        if (trend is null)
        {
            throw new ArgumentNullException(nameof(trend));
        }

        unread ??= [];
        var b = new StringBuilder();
        var drawn = trend.Series.Where(s => s.Runs.Count >= 2).ToList();
        var regressed = drawn.Sum(s => s.Runs.Count(r => r.Rows.Any(row => row.Verdict == ComparisonVerdict.Regressed)));
        b.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>RapidMessageTools trend: ")
            .Append(Count(trend.RunCount, "run")).Append("</title>\n<style>\n")
            .Append(HtmlReportWriter.PageStyle)
            .Append(".unread{color:#cf222e}table.series td,table.series th{text-align:left}")
            .Append(TrendCharts.Style)
            .Append("\n</style>\n</head>\n<body>\n<h1>RapidMessageTools trend</h1>\n");

        var runs = trend.Series.SelectMany(s => s.Runs).ToList();
        b.Append("<p id=\"trend-summary\">").Append(Encode(string.Format(
            CultureInfo.InvariantCulture,
            "{0} in {1}, {2} to {3}; the newest {4} runs of each series are drawn. A point is Regressed (filled red) when Compare-RapidResult's rules find it worse than the runs of its series before it (up to {4}); {5} run(s) drawn have a Regressed point. {6}",
            Count(trend.RunCount, "run"),
            Count(trend.Series.Count, "series", "series"),
            ReportText.Date(runs.Min(r => r.Started)),
            ReportText.Date(runs.Max(r => r.Started)),
            last,
            regressed,
            trend.CurrentGiven ? "The current run (piped) is ringed." : "No current run was piped, so the newest run of each series is ringed."))).Append("</p>\n");

        b.Append("<table class=\"run\" id=\"trend-sources\">\n");
        Row(b, "History", history);
        Row(b, "Not read", unread.Count == 0 ? "nothing: every result file was read" : Count(unread.Count, "file") + ", listed below");
        Row(b, "Module", "RapidMessageTools " + HtmlReportWriter.ModuleVersion);
        Row(b, "Written", ReportText.Date(DateTime.UtcNow));
        b.Append("</table>\n");
        if (unread.Count > 0)
        {
            b.Append("<h2>Files not read</h2>\n<ul id=\"trend-unread\" class=\"unread\">\n");
            foreach (var message in unread)
            {
                b.Append("<li>").Append(Encode(message)).Append("</li>\n");
            }

            b.Append("</ul>\n");
        }

        if (trend.Notes.Count > 0)
        {
            b.Append("<h2>Notes</h2>\n<ul id=\"trend-notes\">\n");
            foreach (var note in trend.Notes)
            {
                b.Append("<li>").Append(Encode(note)).Append("</li>\n");
            }

            b.Append("</ul>\n");
        }

        foreach (var scenario in trend.Series.GroupBy(s => s.Scenario.ToUpperInvariant()))
        {
            WriteScenario(b, scenario.ToList(), trend.CurrentGiven);
        }

        b.Append("</body>\n</html>\n");
        return b.ToString();
    }

    /// <summary>A scenario's series in a table, then its charts, then its Regressed points with the reason.</summary>
    private static void WriteScenario(StringBuilder b, List<TrendSeries> series, bool currentGiven)
    {
        var name = series[series.Count - 1].Scenario;
        var anchor = Anchor(name);
        b.Append("<section id=\"trend-").Append(anchor).Append("\">\n<h2>").Append(Encode(name)).Append("</h2>\n")
            .Append("<table class=\"series\" id=\"series-").Append(anchor).Append("\">\n<tr><th>Series</th><th>Kind</th><th>Settings</th><th>Runs drawn / in all</th><th>First drawn</th><th>Last drawn</th><th>Regressed runs</th></tr>\n");
        foreach (var s in series)
        {
            b.Append("<tr><td>").Append(s.Number).Append("</td><td>").Append(s.IsCapacity ? "capacity search" : "scenario run")
                .Append("</td><td>").Append(Encode(s.Settings)).Append("</td><td>").Append(s.Runs.Count).Append(" / ").Append(s.Total)
                .Append("</td><td>").Append(ReportText.Date(s.Runs[0].Started)).Append("</td><td>").Append(ReportText.Date(s.Runs[s.Runs.Count - 1].Started))
                .Append("</td><td>").Append(s.Runs.Count(r => r.Rows.Any(row => row.Verdict == ComparisonVerdict.Regressed))).Append("</td></tr>\n");
        }

        b.Append("</table>\n");
        var runs = series.Where(s => !s.IsCapacity).ToList();
        var capacities = series.Where(s => s.IsCapacity).ToList();
        if (series.All(s => s.Runs.Count < 2))
        {
            b.Append("<p>Nothing to chart: no series of ").Append(Encode(name)).Append(" has two runs (see the notes).</p>\n");
        }

        TrendCharts.Write(b, "trend-" + anchor + "-p99", "p99 latency by run (ms)", "ms", "LatencyP99", runs, currentGiven);
        TrendCharts.Write(b, "trend-" + anchor + "-throughput", "Throughput by run (messages per second while sending)", "msg/s", "Throughput", runs, currentGiven);
        TrendCharts.Write(b, "trend-" + anchor + "-capacity", "Capacity by search (highest rate held, msg/s)", "msg/s", "Capacity", capacities, currentGiven);

        var findings = series.Where(s => s.Runs.Count >= 2)
            .SelectMany(s => s.Runs.SelectMany(r => r.Rows.Where(row => row.Verdict == ComparisonVerdict.Regressed).Select(row => (Series: s, Run: r, Row: row))))
            .ToList();
        if (findings.Count > 0)
        {
            b.Append("<h3>Regressed points</h3>\n<ul class=\"regressions\">\n");
            foreach (var (s, run, row) in findings)
            {
                b.Append("<li>").Append(Encode(string.Format(
                    CultureInfo.InvariantCulture,
                    "Series {0}, the run of {1}{2}: {3} {4}",
                    s.Number,
                    ReportText.Date(run.Started),
                    run.Source.Length == 0 ? " (current)" : " ('" + System.IO.Path.GetFileName(run.Source) + "')",
                    row.Metric,
                    row.Reason))).Append("</li>\n");
            }

            b.Append("</ul>\n");
        }

        b.Append("</section>\n");
    }

    private static void Row(StringBuilder b, string name, string value) =>
        b.Append("<tr><th>").Append(Encode(name)).Append("</th><td>").Append(Encode(value)).Append("</td></tr>\n");

    private static string Anchor(string scenario) => new string(scenario.Select(c => char.IsLetterOrDigit(c) || c == '-' ? c : '-').ToArray());

    private static string Count(int n, string noun, string? plural = null) =>
        n.ToString(CultureInfo.InvariantCulture) + " " + (n == 1 ? noun : plural ?? noun + "s");

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
