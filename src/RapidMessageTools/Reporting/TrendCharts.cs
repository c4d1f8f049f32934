using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text;
using RapidMessageTools.Baselines;

namespace RapidMessageTools.Reporting;

/// <summary>
/// An inline SVG chart of one metric over runs (x: the runs of the chart's series in order of time, y: the metric):
/// a line and a point per run for each series, a Regressed point filled red, the current (or newest) run ringed,
/// and a legend naming the series and both marks. Every point carries a tooltip with its run, file, value and verdict.
/// </summary>
internal static class TrendCharts
{
    private const int Width = 720;
    private const int Height = 270;
    private const int Left = 64;
    private const int Right = 44;
    private const int Top = 52;
    private const int Bottom = 56;
    private const int Colours = 6;

    /// <summary>The CSS the trend charts need.</summary>
    public const string Style =
        ".trend polyline{fill:none;stroke-width:1.8}.trend circle{fill:#fff;stroke:#57606a;stroke-width:1.8}.trend line.axis{stroke:#8c959f}" +
        ".trend .s1{stroke:#0969da}.trend .s2{stroke:#bc4c00}.trend .s3{stroke:#8250df}.trend .s4{stroke:#1a7f37}.trend .s5{stroke:#9a6700}.trend .s6{stroke:#57606a}" +
        ".trend .regressed{fill:#cf222e;stroke:#cf222e}.trend .current{stroke:#1b1f24;stroke-width:2.6}" +
        "svg text.title{font-size:13px;fill:#1b1f24;font-weight:600}";

    /// <summary>
    /// The chart of <paramref name="metric"/> for the series given (those with two runs or more are drawn).
    /// <paramref name="currentGiven"/>: the ringed run is the current one (piped), else the newest of each series.
    /// </summary>
    public static void Write(StringBuilder b, string id, string title, string unit, string metric, IReadOnlyList<TrendSeries> series, bool currentGiven)
    {
        var drawn = series.Where(s => s.Runs.Count >= 2).ToList();
        if (drawn.Count == 0)
        {
            return;
        }

        // One x position per run of the chart, in order of time (series interleave where their runs do).
        var runs = drawn.SelectMany(s => s.Runs.Select(r => (Series: s, Run: r))).OrderBy(p => p.Run.Started).ThenBy(p => p.Series.Number).ToList();
        var position = new Dictionary<TrendRun, int>();
        for (var i = 0; i < runs.Count; i++)
        {
            position[runs[i].Run] = i;
        }

        var plotW = Width - Left - Right;
        var plotH = Height - Top - Bottom;
        var yMax = runs.Select(p => p.Run.Row(metric)?.Current ?? 0).DefaultIfEmpty(0).Max();
        yMax = yMax <= 0 ? 1 : yMax * 1.1;
        double X(int i) => Left + (plotW * (i + 0.5) / runs.Count);
        double Y(double v) => Top + (plotH * (1 - (v / yMax)));

        b.Append("<svg class=\"chart trend\" id=\"").Append(id).Append("\" data-metric=\"").Append(metric).Append("\" role=\"img\" aria-label=\"").Append(Encode(title))
            .Append("\" width=\"").Append(Width).Append("\" height=\"").Append(Height).Append("\" viewBox=\"0 0 ").Append(Width).Append(' ').Append(Height).Append("\">\n")
            .Append("<text class=\"title\" x=\"").Append(Left).Append("\" y=\"16\">").Append(Encode(title)).Append("</text>\n");
        Legend(b, drawn, currentGiven);

        for (var i = 0; i <= 4; i++)
        {
            var v = yMax * i / 4;
            b.Append("<line class=\"grid\" x1=\"").Append(Left).Append("\" x2=\"").Append(Width - Right).Append("\" y1=\"").Append(F(Y(v))).Append("\" y2=\"").Append(F(Y(v))).Append("\"/>")
                .Append("<text x=\"").Append(Left - 6).Append("\" y=\"").Append(F(Y(v) + 4)).Append("\" text-anchor=\"end\">").Append(Short(v)).Append("</text>\n");
        }

        // At most six dated ticks, evenly spaced back from the newest run (always labelled).
        var step = (runs.Count + 5) / 6;
        for (var i = runs.Count - 1; i >= 0; i -= step)
        {
            var started = runs[i].Run.Started.ToUniversalTime();
            b.Append("<text x=\"").Append(F(X(i))).Append("\" y=\"").Append(Top + plotH + 14).Append("\" text-anchor=\"middle\">").Append(started.ToString("MM-dd", CultureInfo.InvariantCulture)).Append("</text>")
                .Append("<text x=\"").Append(F(X(i))).Append("\" y=\"").Append(Top + plotH + 26).Append("\" text-anchor=\"middle\">").Append(started.ToString("HH:mm:ss", CultureInfo.InvariantCulture)).Append("</text>\n");
        }

        b.Append("<text x=\"").Append(Left + (plotW / 2)).Append("\" y=\"").Append(Height - 6).Append("\" text-anchor=\"middle\">runs, oldest to newest (UTC)</text>")
            .Append("<text x=\"4\" y=\"").Append(Top - 8).Append("\">").Append(Encode(unit)).Append("</text>\n")
            .Append("<line class=\"axis\" x1=\"").Append(Left).Append("\" x2=\"").Append(Left).Append("\" y1=\"").Append(Top).Append("\" y2=\"").Append(Top + plotH).Append("\"/>\n");

        foreach (var s in drawn)
        {
            var points = s.Runs.Select(r => (Run: r, Row: r.Row(metric))).Where(p => p.Row?.Current is not null).ToList();
            var css = Css(s);
            b.Append("<g class=\"series\" data-series=\"").Append(s.Number).Append("\" data-runs=\"").Append(s.Runs.Count).Append("\">\n<polyline class=\"").Append(css).Append("\" points=\"")
                .Append(string.Join(" ", points.Select(p => F(X(position[p.Run])) + "," + F(Y(p.Row!.Current!.Value))))).Append("\"/>\n");
            foreach (var (run, row) in points)
            {
                var regressed = row!.Verdict == ComparisonVerdict.Regressed;
                b.Append("<circle class=\"point ").Append(css).Append(regressed ? " regressed" : string.Empty).Append(run.IsCurrent ? " current" : string.Empty)
                    .Append("\" cx=\"").Append(F(X(position[run]))).Append("\" cy=\"").Append(F(Y(row.Current!.Value))).Append("\" r=\"").Append(regressed || run.IsCurrent ? "5.5" : "3.5").Append("\">")
                    .Append("<title>").Append(Encode(Tooltip(s, run, row, unit, currentGiven))).Append("</title></circle>\n");
            }

            b.Append("</g>\n");
        }

        b.Append("</svg>\n");
    }

    /// <summary>"s1"…"s6": the series' colour (they repeat past six).</summary>
    internal static string Css(TrendSeries s) => "s" + (((s.Number - 1) % Colours) + 1).ToString(CultureInfo.InvariantCulture);

    private static string Tooltip(TrendSeries s, TrendRun run, RapidComparison row, string unit, bool currentGiven)
    {
        var which = run.IsCurrent ? (currentGiven ? " (current run)" : " (newest run)") : string.Empty;
        var file = run.Source.Length == 0 ? string.Empty : " from '" + System.IO.Path.GetFileName(run.Source) + "'";
        return string.Format(
            CultureInfo.InvariantCulture,
            "{0}, series {1}: the run of {2}{3}{4}: {5} {6}. {7}: {8}",
            s.Scenario,
            s.Number,
            run.Started.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture),
            which,
            file,
            row.Current!.Value.ToString(row.Current.Value >= 100 ? "0.#" : "0.###", CultureInfo.InvariantCulture),
            unit,
            row.Verdict,
            row.Reason);
    }

    /// <summary>Left to right on its own row under the title: each series, then the two marks.</summary>
    private static void Legend(StringBuilder b, IReadOnlyList<TrendSeries> drawn, bool currentGiven)
    {
        double x = Left;
        var y = 34.0;
        void Room(string name)
        {
            if (x + (name.Length * 6.5) + 30 > Width - Right && x > Left)
            {
                x = Left;
                y += 13;
            }
        }

        b.Append("<g class=\"legend\">");
        foreach (var s in drawn)
        {
            var name = "series " + s.Number.ToString(CultureInfo.InvariantCulture);
            Room(name);
            b.Append("<line class=\"").Append(Css(s)).Append("\" style=\"stroke-width:3\" x1=\"").Append(F(x)).Append("\" x2=\"").Append(F(x + 16)).Append("\" y1=\"").Append(F(y - 4)).Append("\" y2=\"").Append(F(y - 4)).Append("\"/>")
                .Append("<text x=\"").Append(F(x + 20)).Append("\" y=\"").Append(F(y)).Append("\">").Append(name).Append("</text>");
            x += (name.Length * 6.5) + 30;
        }

        foreach (var (css, name) in new[] { ("mark regressed", "regressed"), ("mark current", currentGiven ? "current run" : "newest run") })
        {
            Room(name);
            b.Append("<circle class=\"").Append(css).Append("\" cx=\"").Append(F(x + 6)).Append("\" cy=\"").Append(F(y - 4)).Append("\" r=\"4.5\"/>")
                .Append("<text x=\"").Append(F(x + 14)).Append("\" y=\"").Append(F(y)).Append("\">").Append(name).Append("</text>");
            x += (name.Length * 6.5) + 26;
        }

        b.Append("</g>\n");
    }

    private static string Short(double v) =>
        v >= 1_000_000 ? (v / 1_000_000).ToString("0.#", CultureInfo.InvariantCulture) + "M"
        : v >= 10_000 ? (v / 1000).ToString("0.#", CultureInfo.InvariantCulture) + "k"
        : v.ToString(v >= 100 ? "0" : "0.##", CultureInfo.InvariantCulture);

    private static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
