using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text;
using RapidMessageTools.Baselines;
using RapidMessageTools.Load;
using RapidMessageTools.Metrics;
using RapidMessageTools.Results;

namespace RapidMessageTools.Reporting;

/// <summary>
/// One self-contained HTML file: a summary table, then per scenario a latency percentile chart (inline SVG,
/// drawn from the histogram on HdrHistogram's log scale), the figures, violations, notes and settings.
/// Given a baseline, each result's comparable baseline runs (<see cref="BaselineMatch"/>) are drawn in the same charts:
/// their merged percentile curve, and the newest one's delivered rate and p99 over time, dashed and named in a legend.
/// No script, no stylesheet link, no external reference of any kind.
/// </summary>
public static class HtmlReportWriter
{
    /// <summary>Percentiles the chart samples: evenly spread on the x axis log10(1 / (1 - p)).</summary>
    private static readonly double[] ChartPercentiles = [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999];

    private static readonly (double Percentile, string Label)[] Ticks = [(0, "0%"), (90, "90%"), (99, "99%"), (99.9, "99.9%"), (99.99, "99.99%"), (99.999, "99.999%")];

    private const int Width = 640;
    private const int Height = 260;
    private const int Left = 64;
    private const int Right = 40;
    private const int Top = 40;
    private const int Bottom = 40;

    private const string BaselineStyle = ".baseline-curve{fill:none;stroke:#bf3989;stroke-width:2;stroke-dasharray:7 4}";

    /// <summary>The page's type, tables, sections and chart text: what every HTML page the module writes shares.</summary>
    internal const string PageStyle =
        "body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#1b1f24;max-width:80rem}" +
        "table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:right}" +
        "th:first-child,td:first-child{text-align:left}.pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:600}.other{color:#9a6700;font-weight:600}" +
        "section{margin:2rem 0;border-top:1px solid #d0d7de}code{background:#f6f8fa;padding:0 .2rem}" +
        "table.run th{text-align:left}svg{display:block;margin:.5rem 0;overflow:visible}svg text{font-size:11px;fill:#57606a}.grid{stroke:#eaeef2}";

    /// <summary>The report of <paramref name="results"/>; with <paramref name="baseline"/>, each drawn against its baseline runs.</summary>
    public static string Write(IReadOnlyList<RapidScenarioResult> results, RapidResultSet? baseline = null)
    {
        var b = new StringBuilder();

        // Failures first: a reader acts on what failed; the order among equals stays the caller's.
        var ordered = results.Select((r, i) => (Result: r, Anchor: "r" + (i + 1).ToString(CultureInfo.InvariantCulture) + "-" + Anchor(r)))
            .OrderBy(x => Rank(x.Result.Outcome)).ToList();
        var verdict = Verdict(results);
        b.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>RapidMessageTools report: ").Append(verdict).Append("</title>\n<style>\n")
            .Append(PageStyle)
            .Append(".verdict{font-size:1.4rem;padding:.6rem 1rem;border-radius:6px;display:inline-block}.verdict.pass{background:#dafbe1}.verdict.fail{background:#ffebe9}.verdict.other{background:#fff8c5}")
            .Append(".curve{fill:none;stroke:#0969da;stroke-width:2}.service{fill:none;stroke:#8250df;stroke-width:1.5;stroke-dasharray:4 3}")
            .Append(TimelineCharts.Style)
            .Append(baseline is null ? string.Empty : BaselineStyle + TimelineCharts.BaselineStyle)
            .Append("\n</style>\n</head>\n<body>\n");
        WriteHeader(b, results, verdict);
        WriteSummary(b, ordered);
        foreach (var (r, anchor) in ordered)
        {
            WriteScenario(b, r, anchor, baseline is null ? null : BaselineMatch.For(r, baseline));
        }

        b.Append("</body>\n</html>\n");
        return b.ToString();
    }

    /// <summary>The report's verdict: Failed if any failed, else Interrupted, else Inconclusive, else Passed.</summary>
    private static string Verdict(IReadOnlyList<RapidScenarioResult> results) =>
        results.Count == 0 ? "No results"
        : results.Any(r => r.Outcome == RapidOutcome.Failed) ? "Failed"
        : results.Any(r => r.Outcome == RapidOutcome.Interrupted) ? "Interrupted"
        : results.Any(r => r.Outcome == RapidOutcome.Inconclusive) ? "Inconclusive"
        : "Passed";

    private static int Rank(RapidOutcome outcome) => outcome switch
    {
        RapidOutcome.Failed => 0,
        RapidOutcome.Interrupted => 1,
        RapidOutcome.Inconclusive => 2,
        _ => 3,
    };

    private static string Css(string outcome) => outcome == "Passed" ? "pass" : outcome == "Failed" ? "fail" : "other";

    /// <summary>Verdict, totals, environment and module version.</summary>
    private static void WriteHeader(StringBuilder b, IReadOnlyList<RapidScenarioResult> results, string verdict)
    {
        b.Append("<h1>RapidMessageTools report</h1>\n<p class=\"verdict ").Append(Css(verdict)).Append("\" id=\"verdict\">").Append(verdict).Append(": ")
            .Append(results.Count(r => r.Outcome == RapidOutcome.Passed)).Append(" of ").Append(results.Count).Append(" results passed");
        var failed = results.Count(r => r.Outcome == RapidOutcome.Failed);
        if (failed > 0)
        {
            b.Append(", ").Append(failed).Append(" failed");
        }

        var other = results.Count(r => r.Outcome is RapidOutcome.Inconclusive or RapidOutcome.Interrupted);
        if (other > 0)
        {
            b.Append(", ").Append(other).Append(" inconclusive or interrupted");
        }

        b.Append("</p>\n<table class=\"run\" id=\"totals\">\n");
        Row(b, "Messages", string.Format(
            CultureInfo.InvariantCulture,
            "{0} sent, {1} delivered, {2} rejected, {3} lost",
            results.Sum(r => r.Sent),
            results.Sum(r => r.Delivered),
            results.Sum(r => r.Rejected),
            results.Sum(r => r.Lost)));
        if (results.Count > 0)
        {
            var first = results.Min(r => r.StartTime);
            var last = results.Max(r => r.StartTime.AddSeconds(r.Duration));
            Row(b, "Runs", ReportText.Date(first) + " to " + ReportText.Date(last) + string.Format(CultureInfo.InvariantCulture, " ({0:0.#} s of runs)", results.Sum(r => r.Duration)));
        }

        Row(b, "Backend", string.Join(", ", results.Select(r => r.Url).Where(u => !string.IsNullOrEmpty(u)).Distinct()));
        Row(b, "Machine", string.Join("; ", results.Select(r => r.Machine).Where(m => !string.IsNullOrEmpty(m)).Distinct()));
        Row(b, "Module", "RapidMessageTools " + ModuleVersion);
        Row(b, "Written", ReportText.Date(DateTime.UtcNow));
        b.Append("</table>\n");
    }

    internal static string ModuleVersion
    {
        get
        {
            var assembly = typeof(HtmlReportWriter).Assembly;
            var informational = (System.Reflection.AssemblyInformationalVersionAttribute?)Attribute.GetCustomAttribute(assembly, typeof(System.Reflection.AssemblyInformationalVersionAttribute));
            return (informational?.InformationalVersion ?? assembly.GetName().Version?.ToString() ?? "unknown").Split('+')[0];
        }
    }

    private static void WriteSummary(StringBuilder b, List<(RapidScenarioResult Result, string Anchor)> results)
    {
        b.Append("<table id=\"summary\">\n<tr><th>Scenario</th><th>Outcome</th><th>Violations</th><th>Delivered / Sent</th><th>Rejected</th><th>Lost</th><th>Duration s</th><th>msg/s</th><th>p50 ms</th><th>p99 ms</th><th>p99.9 ms</th></tr>\n");
        foreach (var (r, anchor) in results)
        {
            var outcome = r.Outcome.ToString();
            b.Append("<tr><td><a href=\"#").Append(anchor).Append("\">").Append(Encode(r.Scenario)).Append(r.Shard is "1/1" or "" ? string.Empty : " (" + Encode(r.Shard) + ")").Append("</a></td>")
                .Append("<td class=\"").Append(Css(outcome)).Append("\">").Append(outcome).Append("</td>")
                .Append("<td>").Append(Encode(string.Join(", ", r.Violations.Select(v => v.Code).Distinct()))).Append("</td>")
                .Append("<td>").Append(r.Delivered).Append(" / ").Append(r.Sent).Append("</td>")
                .Append("<td>").Append(r.Rejected).Append("</td><td>").Append(r.Lost).Append("</td>")
                .Append("<td>").Append(ReportText.Number(r.Duration, "0.0")).Append("</td>")
                .Append("<td>").Append(ReportText.Number(RunThroughput(r), "0")).Append("</td>")
                .Append("<td>").Append(ReportText.Number(r.Latency.P50)).Append("</td>")
                .Append("<td>").Append(ReportText.Number(r.Latency.P99)).Append("</td>")
                .Append("<td>").Append(ReportText.Number(r.Latency.P999)).Append("</td></tr>\n");
        }

        b.Append("</table>\n<p>msg/s is messages delivered over the run's whole duration; each scenario below also shows the rate while it was sending.</p>\n");
    }

    /// <summary>Delivered over the run's duration (connections and waits included): what the run as a whole achieved.</summary>
    private static double RunThroughput(RapidScenarioResult r) => r.Duration > 0 ? r.Delivered / r.Duration : 0;

    private static void WriteScenario(StringBuilder b, RapidScenarioResult r, string anchor, BaselineMatch? baseline)
    {
        var outcome = r.Outcome.ToString();
        b.Append("<section id=\"").Append(anchor).Append("\">\n<h2>").Append(Encode(r.Scenario)).Append(' ')
            .Append("<span class=\"").Append(Css(outcome)).Append("\">").Append(outcome).Append("</span></h2>\n");
        if (r.Violations.Length > 0)
        {
            b.Append("<h3>Violations</h3>\n<ul>\n");
            foreach (var v in r.Violations)
            {
                b.Append("<li><code>").Append(Encode(v.Code)).Append("</code> ").Append(Encode(v.Message)).Append("</li>\n");
            }

            b.Append("</ul>\n");
        }

        b.Append("<p>").Append(Encode(ReportText.Figures(r))).Append("</p>\n");
        var window = (r.WindowEnd - r.WindowStart).TotalSeconds;
        b.Append("<p>").Append(Encode(string.Format(
            CultureInfo.InvariantCulture,
            "The run took {0:0.###} s: {1:0.#} msg/s delivered over the whole run; {2:0.#} msg/s while sending ({3:0.###} s from the first send to the last answer).",
            r.Duration,
            RunThroughput(r),
            r.ThroughputPerSec,
            window))).Append("</p>\n");
        if (baseline is not null)
        {
            b.Append("<p class=\"baseline\" id=\"baseline-").Append(anchor).Append("\">").Append(Encode(baseline.Note)).Append("</p>\n");
        }

        var drawn = baseline is { Found: true } ? baseline : null;
        TimelineCharts.Write(b, r, anchor, drawn?.Timeline?.Result);
        WriteChart(b, r, anchor, drawn);
        WriteStreams(b, r, anchor);
        TimelineCharts.Distribution(b, r, anchor);
        if (r.Notes.Length > 0)
        {
            b.Append("<h3>Notes</h3>\n<ul>\n");
            foreach (var n in r.Notes)
            {
                b.Append("<li>").Append(Encode(n)).Append("</li>\n");
            }

            b.Append("</ul>\n");
        }

        b.Append("<h3>Run</h3>\n<table class=\"run\">\n");
        Row(b, "URL", r.Url);
        Row(b, "Run id / shard", r.RunId + " / " + r.Shard);
        Row(b, "Started", ReportText.Date(r.StartTime));
        Row(b, "Load", AppliedSettings(r.Parameters ?? new RapidScenarioParameters()));
        Row(b, "Thresholds", ReportText.Limits(r));
        Row(b, "Memory growth", string.Format(CultureInfo.InvariantCulture, "client {0} bytes, server {1}", r.MemoryGrowthBytes, r.ServerMemoryGrowthBytes?.ToString(CultureInfo.InvariantCulture) ?? "not reported"));
        if (r.TimelineInterval > 0)
        {
            Row(b, "Timeline", string.Format(CultureInfo.InvariantCulture, "{0} intervals of {1} s", r.Timeline.Length, r.TimelineInterval));
        }

        b.Append("</table>\n</section>\n");
    }

    /// <summary>Streamed replies: reply latency, time to first chunk and chunk gap side by side, and the stream counts.</summary>
    private static void WriteStreams(StringBuilder b, RapidScenarioResult r, string anchor)
    {
        if (r.FirstChunkLatency is null)
        {
            return;
        }

        var gap = r.ChunkGap ?? new RapidLatencySummary();
        b.Append("<table class=\"streams\" id=\"streams-").Append(anchor).Append("\">\n<tr><th>ms</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>samples</th></tr>\n");
        StreamRow(b, "Reply latency (to the final frame)", r.Latency);
        StreamRow(b, "Time to first chunk", r.FirstChunkLatency);
        StreamRow(b, "Chunk gap", gap);
        b.Append("</table>\n<p>").Append(Encode(string.Format(
            CultureInfo.InvariantCulture,
            "Streams: {0} completed, {1} cancelled, {2} cut; {3} chunks.",
            r.StreamsCompleted,
            r.StreamsCancelled,
            r.StreamsCut,
            r.ChunksDelivered))).Append("</p>\n");
    }

    private static void StreamRow(StringBuilder b, string name, RapidLatencySummary s) =>
        b.Append("<tr><td>").Append(Encode(name)).Append("</td><td>").Append(ReportText.Number(s.P50))
            .Append("</td><td>").Append(ReportText.Number(s.P90)).Append("</td><td>").Append(ReportText.Number(s.P99))
            .Append("</td><td>").Append(ReportText.Number(s.P999)).Append("</td><td>").Append(ReportText.Number(s.Max))
            .Append("</td><td>").Append(s.Count).Append("</td></tr>\n");

    /// <summary>Only the size settings that applied: "MessageCount 0, Users 0" is left out; stages listed.</summary>
    internal static string AppliedSettings(RapidScenarioParameters p)
    {
        var parts = new List<string>();
        void Add(string name, double value, string unit = "")
        {
            if (value > 0)
            {
                parts.Add(string.Format(CultureInfo.InvariantCulture, "{0} {1}{2}", name, value, unit));
            }
        }

        var staged = p.Stages is { Length: > 0 };
        if (!staged)
        {
            Add("MessageCount", p.MessageCount);
        }

        Add("Connections", p.Connections);
        Add("Users", p.Users);
        Add("BurstSize", p.BurstSize);
        Add("Bursts", p.Bursts);
        Add("Agents", p.Agents);
        Add("Rate", p.Rate, " msg/s");
        Add("Duration", p.Duration, " s");
        Add("MaxInFlight", p.MaxInFlight);
        Add("TimeoutSec", p.TimeoutSec, " s");
        if (staged)
        {
            parts.Add("Stages: " + string.Join("; ", p.Stages.Select((s, i) => (i + 1).ToString(CultureInfo.InvariantCulture) + ") " + s)));
        }

        if (p.Arrival == RapidArrival.Poisson)
        {
            parts.Add("Poisson arrivals (seed " + p.Seed.ToString(CultureInfo.InvariantCulture) + ")");
        }

        return string.Join(", ", parts);
    }

    /// <summary>
    /// Latency (y, ms) against percentile (x, log scale) from the histogram; service latency dashed when it differs;
    /// with a baseline, the baseline's merged curve and a legend naming the current run and the baseline.
    /// </summary>
    private static void WriteChart(StringBuilder b, RapidScenarioResult r, string anchor, BaselineMatch? baseline)
    {
        var latency = LatencyHistogram.Import(r.Histogram);
        var service = LatencyHistogram.Import(r.ServiceHistogram);
        var id = "latency-chart-" + anchor;
        b.Append("<svg id=\"").Append(id).Append("\" role=\"img\" aria-label=\"Latency by percentile for ").Append(Encode(r.Scenario))
            .Append("\" width=\"").Append(Width).Append("\" height=\"").Append(Height).Append("\" viewBox=\"0 0 ").Append(Width).Append(' ').Append(Height).Append("\">\n");
        if (latency.TotalCount == 0)
        {
            b.Append("<text x=\"").Append(Left).Append("\" y=\"").Append(Height / 2).Append("\">No latency samples.</text>\n</svg>\n");
            return;
        }

        var points = ChartPercentiles.Select(pc => (X: X(pc), Ms: latency.ValueAtPercentile(pc) / 1000.0)).ToArray();
        var servicePoints = service.TotalCount == 0 ? [] : ChartPercentiles.Select(pc => (X: X(pc), Ms: service.ValueAtPercentile(pc) / 1000.0)).ToArray();
        var drawService = servicePoints.Length > 0 && r.Histogram.Encoded != r.ServiceHistogram.Encoded;
        var baseHistogram = baseline is null ? null : LatencyHistogram.Import(baseline.Histogram);
        var basePoints = baseHistogram is not { TotalCount: > 0 } ? [] : ChartPercentiles.Select(pc => (X: X(pc), Ms: baseHistogram.ValueAtPercentile(pc) / 1000.0)).ToArray();
        var max = Math.Max(points.Max(p => p.Ms), servicePoints.Length == 0 ? 0 : servicePoints.Max(p => p.Ms));
        max = Math.Max(max, basePoints.Length == 0 ? 0 : basePoints.Max(p => p.Ms));
        max = max <= 0 ? 1 : max * 1.1;
        double Y(double ms) => Top + ((Height - Top - Bottom) * (1 - (ms / max)));

        for (var i = 0; i <= 4; i++)
        {
            var ms = max * i / 4;
            var y = Y(ms);
            b.Append("<line class=\"grid\" x1=\"").Append(Left).Append("\" x2=\"").Append(Width - Right).Append("\" y1=\"").Append(F(y)).Append("\" y2=\"").Append(F(y)).Append("\"/>")
                .Append("<text x=\"").Append(Left - 6).Append("\" y=\"").Append(F(y + 4)).Append("\" text-anchor=\"end\">").Append(F(ms)).Append("</text>\n");
        }

        foreach (var (pc, label) in Ticks)
        {
            b.Append("<text x=\"").Append(F(X(pc))).Append("\" y=\"").Append(Height - Bottom + 16).Append("\" text-anchor=\"middle\">").Append(label).Append("</text>\n");
        }

        b.Append("<text x=\"").Append(Width / 2).Append("\" y=\"").Append(Height - 4).Append("\" text-anchor=\"middle\">percentile</text>")
            .Append("<text class=\"title\" x=\"").Append(Left).Append("\" y=\"16\">Latency by percentile, whole run (ms)</text>")
            .Append("<text x=\"4\" y=\"").Append(Top - 10).Append("\">ms</text>\n");
        if (basePoints.Length > 0)
        {
            var legend = new List<(string Css, string Name)> { ("curve", "current"), ("baseline-curve", baseline!.Runs.Count == 1 ? "baseline" : "baseline (" + baseline.Runs.Count.ToString(CultureInfo.InvariantCulture) + " runs merged)") };
            if (drawService)
            {
                legend.Insert(1, ("service", "current, service time"));
            }

            Legend(b, legend);
            b.Append("<polyline class=\"baseline-curve\" points=\"").Append(Points(basePoints, Y)).Append("\"/>\n");
        }

        if (drawService)
        {
            b.Append("<polyline class=\"service\" points=\"").Append(Points(servicePoints, Y)).Append("\"/>\n");
        }

        b.Append("<polyline class=\"curve\" points=\"").Append(Points(points, Y)).Append("\"/>\n</svg>\n");
    }

    /// <summary>A legend right-aligned under the title, in the order given: a short line in each curve's style, then its name.</summary>
    private static void Legend(StringBuilder b, IReadOnlyList<(string Css, string Name)> entries)
    {
        b.Append("<g class=\"legend\">");
        double x = Width - Right - entries.Sum(e => (e.Name.Length * 6.5) + 28);
        foreach (var (css, name) in entries)
        {
            b.Append("<line class=\"").Append(css).Append("\" x1=\"").Append(F(x)).Append("\" x2=\"").Append(F(x + 18)).Append("\" y1=\"28\" y2=\"28\"/>")
                .Append("<text x=\"").Append(F(x + 22)).Append("\" y=\"32\">").Append(Encode(name)).Append("</text>");
            x += (name.Length * 6.5) + 28;
        }

        b.Append("</g>\n");
    }

    private static string Points((double X, double Ms)[] points, Func<double, double> y) =>
        string.Join(" ", points.Select(p => F(p.X) + "," + F(y(p.Ms))));

    /// <summary>x position of a percentile: log10(1 / (1 - p)) from 0 (p = 0) to 5 (p = 99.999).</summary>
    private static double X(double percentile)
    {
        var rest = Math.Max(1e-5, 1 - (percentile / 100));
        var scaled = Math.Min(5, Math.Log10(1 / rest)) / 5;
        return Left + ((Width - Left - Right) * scaled);
    }

    private static void Row(StringBuilder b, string name, string value) =>
        b.Append("<tr><th>").Append(Encode(name)).Append("</th><td>").Append(Encode(value)).Append("</td></tr>\n");

    private static string Anchor(RapidScenarioResult r) =>
        new string((r.Scenario + "-" + r.Shard.Replace('/', '-').Replace(',', '-')).Select(c => char.IsLetterOrDigit(c) || c == '-' ? c : '-').ToArray());

    private static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
