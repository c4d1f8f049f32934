using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text;
using RapidMessageTools.Metrics;
using RapidMessageTools.Results;

namespace RapidMessageTools.Reporting;

/// <summary>
/// Inline SVG charts of a run over time, drawn from its timeline: throughput (sent, delivered, rejected per
/// second), latency percentiles with the limit drawn, and errors, losses and open connections; stage boundaries
/// marked. Also the latency distribution (counts per log-spaced bucket). No script; plain SVG and CSS classes.
/// Given a baseline run, its delivered rate and p99 are drawn dashed beside the current ones, on the same time axis.
/// </summary>
internal static class TimelineCharts
{
    private const int Width = 720;
    private const int Height = 250;
    private const int Left = 64;
    private const int Right = 24;
    private const int Top = 48;
    private const int Bottom = 40;

    /// <summary>The CSS the charts need (the report's one style block includes it).</summary>
    public const string Style =
        ".chart line.axis{stroke:#8c959f}.chart .sent{stroke:#0969da}.chart .delivered{stroke:#1a7f37}.chart .rejected{stroke:#cf222e}" +
        ".chart .p50{stroke:#1a7f37}.chart .p90{stroke:#9a6700}.chart .p99{stroke:#cf222e}.chart .max{stroke:#8250df;stroke-dasharray:2 3}" +
        ".chart .errors{stroke:#cf222e}.chart .lost{stroke:#bc4c00;stroke-dasharray:4 3}.chart .connections{stroke:#0969da}.chart .intended{stroke:#57606a;stroke-dasharray:5 4}" +
        ".chart polyline{fill:none;stroke-width:1.8}.chart .limit{stroke:#cf222e;stroke-width:1.2;stroke-dasharray:8 4}.chart .stage{stroke:#8c959f;stroke-dasharray:3 3}" +
        ".chart .bar{fill:#0969da}svg text.title{font-size:13px;fill:#1b1f24;font-weight:600}";

    /// <summary>The CSS of a baseline's lines (in the style block only when a baseline is drawn).</summary>
    public const string BaselineStyle = ".chart .baseline{stroke:#bf3989;stroke-width:2.2;stroke-dasharray:7 4}";

    /// <summary>The charts of <paramref name="r"/>'s timeline; with <paramref name="baseline"/> (a run with a timeline), its delivered rate and p99 as well.</summary>
    public static void Write(StringBuilder b, RapidScenarioResult r, string anchor, RapidScenarioResult? baseline = null)
    {
        var t = r.Timeline ?? [];
        if (t.Length < 2)
        {
            b.Append("<p>No timeline to chart (").Append(t.Length).Append(" interval").Append(t.Length == 1 ? string.Empty : "s").Append(").</p>\n");
            return;
        }

        var x = t.Select(e => e.Elapsed + (e.Seconds / 2)).ToArray();
        var stages = StageStarts(t);
        var bt = baseline?.Timeline is { Length: >= 2 } baseTimeline ? baseTimeline : null;
        var bx = bt?.Select(e => e.Elapsed + (e.Seconds / 2)).ToArray();
        (string, double[], double[])? baseDelivered = bt is null ? null : ("baseline delivered", bx!, bt.Select(e => e.DeliveredRate).ToArray());
        (string, double[], double[])? baseP99 = bt is null ? null : ("baseline p99", bx!, bt.Select(e => e.Delivered == 0 ? double.NaN : e.P99).ToArray());
        Chart(b, anchor + "-throughput", "Throughput (messages per second)", "msg/s", x, stages, null, baseDelivered,
            ("intended", "intended", t.Select(e => e.IntendedRate).ToArray()),
            ("sent", "sent", t.Select(e => e.SendRate).ToArray()),
            ("delivered", "delivered", t.Select(e => e.DeliveredRate).ToArray()),
            ("rejected", "rejected", t.Select(e => e.Rejected / e.Seconds).ToArray()));
        var th = r.Thresholds ?? new RapidThresholds();
        double? limit = th.MaxLatency is > 0 and < 3600 ? th.MaxLatency * 1000 : null;
        Chart(b, anchor + "-latency", "Latency of the replies that arrived in each interval (ms)", "ms", x, stages,
            limit is null ? null : (limit.Value, FormattableString.Invariant($"limit p{th.LatencyPercentile} {th.MaxLatency * 1000:0.###} ms")),
            baseP99,
            ("p50", "p50", t.Select(e => e.Delivered == 0 ? double.NaN : e.P50).ToArray()),
            ("p90", "p90", t.Select(e => e.Delivered == 0 ? double.NaN : e.P90).ToArray()),
            ("p99", "p99", t.Select(e => e.Delivered == 0 ? double.NaN : e.P99).ToArray()),
            ("max", "max", t.Select(e => e.Delivered == 0 ? double.NaN : e.Max).ToArray()));
        Chart(b, anchor + "-errors", "Errors, lost messages, late sends and open connections per interval", "count", x, stages, null, null,
            ("errors", "errors", t.Select(e => (double)e.Errors).ToArray()),
            ("lost", "lost", t.Select(e => (double)e.Lost).ToArray()),
            ("late sends", "intended", t.Select(e => (double)e.LateSends).ToArray()),
            ("connections", "connections", t.Select(e => (double)e.Connections).ToArray()));
    }

    /// <summary>Counts of latencies in log-spaced buckets, as bars.</summary>
    public static void Distribution(StringBuilder b, RapidScenarioResult r, string anchor)
    {
        var values = LatencyHistogram.Import(r.Histogram).RecordedValues();
        if (values.Count == 0)
        {
            return;
        }

        var min = Math.Max(1, values.Min(v => v.Micros));
        var max = Math.Max(min + 1, values.Max(v => v.Micros));
        const int Buckets = 24;
        var logMin = Math.Log10(min);
        var step = Math.Max(1e-9, (Math.Log10(max) - logMin) / Buckets);
        var counts = new long[Buckets];
        foreach (var (micros, count) in values)
        {
            var i = (int)Math.Min(Buckets - 1, Math.Max(0, Math.Floor((Math.Log10(Math.Max(1, micros)) - logMin) / step)));
            counts[i] += count;
        }

        var top = Math.Max(1, counts.Max());
        var plotW = Width - Left - Right;
        var plotH = Height - Top - Bottom;
        var barW = plotW / (double)Buckets;
        b.Append("<svg class=\"chart\" id=\"").Append(anchor).Append("-distribution\" role=\"img\" aria-label=\"Latency distribution\" width=\"").Append(Width)
            .Append("\" height=\"").Append(Height).Append("\" viewBox=\"0 0 ").Append(Width).Append(' ').Append(Height).Append("\">\n")
            .Append("<text class=\"title\" x=\"").Append(Left).Append("\" y=\"16\">Latency distribution (replies per bucket, log-spaced)</text>\n");
        for (var i = 0; i <= 4; i++)
        {
            var y = Top + (plotH * (1 - (i / 4.0)));
            b.Append("<line class=\"grid\" x1=\"").Append(Left).Append("\" x2=\"").Append(Width - Right).Append("\" y1=\"").Append(F(y)).Append("\" y2=\"").Append(F(y)).Append("\"/>")
                .Append("<text x=\"").Append(Left - 6).Append("\" y=\"").Append(F(y + 4)).Append("\" text-anchor=\"end\">").Append(Short(top * i / 4.0)).Append("</text>\n");
        }

        for (var i = 0; i < Buckets; i++)
        {
            var h = plotH * counts[i] / (double)top;
            var lowMs = Math.Pow(10, logMin + (i * step)) / 1000;
            b.Append("<rect class=\"bar\" x=\"").Append(F(Left + (i * barW) + 1)).Append("\" y=\"").Append(F(Top + plotH - h)).Append("\" width=\"").Append(F(barW - 2))
                .Append("\" height=\"").Append(F(h)).Append("\"><title>").Append(F(lowMs)).Append(" ms and up: ").Append(counts[i]).Append("</title></rect>\n");
            if (i % 4 == 0)
            {
                b.Append("<text x=\"").Append(F(Left + (i * barW))).Append("\" y=\"").Append(Height - Bottom + 16).Append("\" text-anchor=\"start\">").Append(F(lowMs)).Append("</text>\n");
            }
        }

        b.Append("<text x=\"").Append(Width / 2).Append("\" y=\"").Append(Height - 6).Append("\" text-anchor=\"middle\">latency, ms (log scale)</text>\n</svg>\n");
    }

    /// <summary>Where a stage begins (the first interval of each new stage), in seconds, with its number.</summary>
    private static List<(double X, int Stage)> StageStarts(RapidTimelineEntry[] t)
    {
        var starts = new List<(double, int)>();
        for (var i = 1; i < t.Length; i++)
        {
            if (t[i].Stage > 0 && t[i].Stage != t[i - 1].Stage)
            {
                starts.Add((t[i].Elapsed, t[i].Stage));
            }
        }

        if (t[0].Stage > 0)
        {
            starts.Insert(0, (t[0].Elapsed, t[0].Stage));
        }

        return starts;
    }

    private static void Chart(
        StringBuilder b,
        string id,
        string title,
        string unit,
        double[] x,
        List<(double X, int Stage)> stages,
        (double Value, string Label)? limit,
        (string Name, double[] X, double[] Values)? baseline,
        params (string Name, string Css, double[] Values)[] series)
    {
        var plotW = Width - Left - Right;
        var plotH = Height - Top - Bottom;
        var xMax = Math.Max(1e-9, End(x));
        // NaN: no data in that interval (no reply to time); the line skips it.
        var yMax = series.SelectMany(s => s.Values).Where(v => !double.IsNaN(v)).DefaultIfEmpty(0).Max();
        if (baseline is { } over)
        {
            // The baseline's own time axis: both runs start at 0; the longer one sets the width.
            xMax = Math.Max(xMax, End(over.X));
            yMax = Math.Max(yMax, over.Values.Where(v => !double.IsNaN(v)).DefaultIfEmpty(0).Max());
        }

        // The legend names the current series, then the baseline's.
        var legend = series.Select(s => (s.Name, s.Css)).ToList();
        if (baseline is { } named)
        {
            legend.Add((named.Name, "baseline"));
        }

        if (limit is { } l)
        {
            yMax = Math.Max(yMax, l.Value);
        }

        yMax = yMax <= 0 ? 1 : yMax * 1.1;
        double X(double v) => Left + (plotW * v / xMax);
        double Y(double v) => Top + (plotH * (1 - (v / yMax)));

        b.Append("<svg class=\"chart\" id=\"").Append(id).Append("\" role=\"img\" aria-label=\"").Append(Encode(title)).Append("\" width=\"").Append(Width)
            .Append("\" height=\"").Append(Height).Append("\" viewBox=\"0 0 ").Append(Width).Append(' ').Append(Height).Append("\">\n")
            .Append("<text class=\"title\" x=\"").Append(Left).Append("\" y=\"16\">").Append(Encode(title)).Append("</text>\n");
        double legendX = Width - Right;
        for (var i = legend.Count - 1; i >= 0; i--)
        {
            // Legend, right-aligned under the title: a short line in the series' colour, then its name.
            var name = legend[i].Name;
            legendX -= (name.Length * 6.5) + 26;
            b.Append("<line class=\"").Append(legend[i].Css).Append("\" style=\"stroke-width:3\" x1=\"").Append(F(legendX)).Append("\" x2=\"").Append(F(legendX + 16))
                .Append("\" y1=\"30\" y2=\"30\"/><text x=\"").Append(F(legendX + 20)).Append("\" y=\"34\">").Append(Encode(name)).Append("</text>\n");
        }

        for (var i = 0; i <= 4; i++)
        {
            var v = yMax * i / 4;
            b.Append("<line class=\"grid\" x1=\"").Append(Left).Append("\" x2=\"").Append(Width - Right).Append("\" y1=\"").Append(F(Y(v))).Append("\" y2=\"").Append(F(Y(v))).Append("\"/>")
                .Append("<text x=\"").Append(Left - 6).Append("\" y=\"").Append(F(Y(v) + 4)).Append("\" text-anchor=\"end\">").Append(Short(v)).Append("</text>\n");
        }

        var tick = NiceStep(xMax / 8);
        for (var v = 0.0; v <= xMax + 1e-9; v += tick)
        {
            b.Append("<text x=\"").Append(F(X(v))).Append("\" y=\"").Append(Top + plotH + 16).Append("\" text-anchor=\"").Append(v == 0 ? "start" : "middle").Append("\">")
                .Append(Short(v)).Append("</text>\n");
        }

        b.Append("<text x=\"").Append(Left + (plotW / 2)).Append("\" y=\"").Append(Height - 6).Append("\" text-anchor=\"middle\">seconds into the run</text>")
            .Append("<text x=\"4\" y=\"").Append(Top - 10).Append("\">").Append(Encode(unit)).Append("</text>\n")
            .Append("<line class=\"axis\" x1=\"").Append(Left).Append("\" x2=\"").Append(Left).Append("\" y1=\"").Append(Top).Append("\" y2=\"").Append(Top + plotH).Append("\"/>\n");
        foreach (var (sx, stage) in stages)
        {
            b.Append("<line class=\"stage\" x1=\"").Append(F(X(sx))).Append("\" x2=\"").Append(F(X(sx))).Append("\" y1=\"").Append(Top).Append("\" y2=\"").Append(Top + plotH).Append("\"/>")
                .Append("<text x=\"").Append(F(X(sx) + 3)).Append("\" y=\"").Append(Top + 10).Append("\">stage ").Append(stage).Append("</text>\n");
        }

        if (limit is { } lim)
        {
            b.Append("<line class=\"limit\" x1=\"").Append(Left).Append("\" x2=\"").Append(Width - Right).Append("\" y1=\"").Append(F(Y(lim.Value))).Append("\" y2=\"").Append(F(Y(lim.Value))).Append("\"/>")
                .Append("<text x=\"").Append(Width - Right - 4).Append("\" y=\"").Append(F(Y(lim.Value) - 4)).Append("\" text-anchor=\"end\">").Append(Encode(lim.Label)).Append("</text>\n");
        }

        if (baseline is { } drawn)
        {
            b.Append("<polyline class=\"baseline\" points=\"")
                .Append(string.Join(" ", drawn.Values.Select((v, i) => (v, i)).Where(p => !double.IsNaN(p.v)).Select(p => F(X(drawn.X[p.i])) + "," + F(Y(p.v))))).Append("\"/>\n");
        }

        foreach (var (_, css, values) in series)
        {
            b.Append("<polyline class=\"").Append(css).Append("\" points=\"")
                .Append(string.Join(" ", values.Select((v, i) => (v, i)).Where(p => !double.IsNaN(p.v)).Select(p => F(X(x[p.i])) + "," + F(Y(p.v))))).Append("\"/>\n");
        }

        b.Append("</svg>\n");
    }

    /// <summary>Where a timeline's axis ends: the last interval's middle plus half an interval.</summary>
    private static double End(double[] x) => x[x.Length - 1] + (x.Length > 1 ? (x[1] - x[0]) / 2 : 0.5);

    private static double NiceStep(double raw)
    {
        if (raw <= 0)
        {
            return 1;
        }

        var p = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var m = raw / p;
        return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
    }

    private static string Short(double v) =>
        v >= 1_000_000 ? (v / 1_000_000).ToString("0.#", CultureInfo.InvariantCulture) + "M"
        : v >= 10_000 ? (v / 1000).ToString("0.#", CultureInfo.InvariantCulture) + "k"
        : v.ToString(v >= 100 ? "0" : "0.##", CultureInfo.InvariantCulture);

    private static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
