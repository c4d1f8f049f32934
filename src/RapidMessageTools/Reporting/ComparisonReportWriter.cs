using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Xml;
using RapidMessageTools.Baselines;

namespace RapidMessageTools.Reporting;

/// <summary>
/// Reports of a comparison (Compare-RapidResult's rows): a Markdown summary for a pull request or
/// Azure's ##vso[task.uploadsummary], and JUnit XML with one testcase per compared metric, failed
/// where the metric Regressed.
/// </summary>
public static class ComparisonReportWriter
{
    /// <summary>The formats a comparison can be written in.</summary>
    public static bool Supports(ReportFormat format) => format is ReportFormat.Markdown or ReportFormat.JUnit;

    public static string Write(ReportFormat format, IReadOnlyList<RapidComparison> rows) => format switch
    {
        ReportFormat.Markdown => WriteMarkdown(rows),
        ReportFormat.JUnit => WriteJUnit(rows),
        _ => throw new System.ArgumentOutOfRangeException(nameof(format), format, "A comparison is written as Markdown or JUnit."),
    };

    /// <summary>A heading with the counts, a table of what Regressed then what Improved (with the reason), then the other verdicts.</summary>
    public static string WriteMarkdown(IReadOnlyList<RapidComparison> rows)
    {
        var b = new StringBuilder();
        var regressed = rows.Count(r => r.Verdict == ComparisonVerdict.Regressed);
        var improved = rows.Count(r => r.Verdict == ComparisonVerdict.Improved);
        b.Append("## RapidMessageTools against the baseline: ")
            .Append(regressed == 0 ? "✅ no regression" : "❌ " + Count(regressed, "metric") + " regressed")
            .Append(", ").Append(improved).Append(" improved, of ").Append(Count(rows.Count, "metric")).Append(" compared\n\n");

        var changed = rows.Where(r => r.Verdict == ComparisonVerdict.Regressed)
            .Concat(rows.Where(r => r.Verdict == ComparisonVerdict.Improved))
            .ToArray();
        if (changed.Length > 0)
        {
            Table(b, changed);
        }
        else
        {
            b.Append("Nothing regressed or improved beyond its tolerance and the noise.\n");
        }

        var rest = rows.Where(r => r.Verdict is not (ComparisonVerdict.Regressed or ComparisonVerdict.Improved)).ToArray();
        if (rest.Length > 0)
        {
            b.Append("\n### Everything else compared (")
                .Append(string.Join(", ", rest.GroupBy(r => r.Verdict).OrderBy(g => g.Key).Select(g => g.Count().ToString(CultureInfo.InvariantCulture) + " " + g.Key)))
                .Append(")\n\n");
            Table(b, rest.OrderBy(r => r.Verdict).ToArray());
        }

        return b.ToString();
    }

    /// <summary>One testsuite per scenario, one testcase per metric; a Regressed metric is a failure naming the metric and both values.</summary>
    public static string WriteJUnit(IReadOnlyList<RapidComparison> rows)
    {
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) };
        using var text = new Utf8StringWriter();
        using (var w = XmlWriter.Create(text, settings))
        {
            w.WriteStartElement("testsuites");
            w.WriteAttributeString("name", "RapidMessageTools regressions");
            Counts(w, rows);
            foreach (var scenario in rows.GroupBy(r => r.Scenario))
            {
                var cases = scenario.ToArray();
                w.WriteStartElement("testsuite");
                w.WriteAttributeString("name", "Regressions." + scenario.Key);
                Counts(w, cases);
                w.WriteAttributeString("errors", "0");
                foreach (var r in cases)
                {
                    w.WriteStartElement("testcase");
                    w.WriteAttributeString("classname", "Regressions." + r.Scenario);
                    w.WriteAttributeString("name", r.Metric);
                    w.WriteAttributeString("time", "0");
                    if (r.Verdict == ComparisonVerdict.Regressed)
                    {
                        w.WriteStartElement("failure");
                        w.WriteAttributeString("message", FailureMessage(r));
                        w.WriteAttributeString("type", "Regression");
                        w.WriteString(r.ToString());
                        w.WriteEndElement();
                    }

                    w.WriteElementString("system-out", r.ToString());
                    w.WriteEndElement();
                }

                w.WriteEndElement();
            }

            w.WriteEndElement();
        }

        return text.ToString();
    }

    /// <summary>"Benchmark LatencyP99 regressed: 25.1 ms in the baseline, 31.4 ms now (+25.1 %)".</summary>
    public static string FailureMessage(RapidComparison r) =>
        $"{r.Scenario} {r.Metric} regressed: {Value(r.Baseline, r.Unit)} in the baseline, {Value(r.Current, r.Unit)} now ({r.ChangeText}).";

    private static void Table(StringBuilder b, IReadOnlyList<RapidComparison> rows)
    {
        b.Append("| Verdict | Scenario | Metric | Baseline | Current | Change | Reason |\n");
        b.Append("|---|---|---|---|---|---|---|\n");
        foreach (var r in rows)
        {
            b.Append("| ").Append(Mark(r.Verdict)).Append(r.Verdict)
                .Append(" | ").Append(Cell(r.Scenario))
                .Append(" | ").Append(r.Metric)
                .Append(" | ").Append(Value(r.Baseline, r.Unit))
                .Append(" | ").Append(Value(r.Current, r.Unit))
                .Append(" | ").Append(r.ChangeText)
                .Append(" | ").Append(Cell(r.Reason))
                .Append(" |\n");
        }
    }

    private static void Counts(XmlWriter w, IReadOnlyCollection<RapidComparison> rows)
    {
        w.WriteAttributeString("tests", rows.Count.ToString(CultureInfo.InvariantCulture));
        w.WriteAttributeString("failures", rows.Count(r => r.Verdict == ComparisonVerdict.Regressed).ToString(CultureInfo.InvariantCulture));
    }

    private static string Mark(ComparisonVerdict verdict) => verdict switch
    {
        ComparisonVerdict.Regressed => "❌ ",
        ComparisonVerdict.Improved => "✅ ",
        _ => string.Empty,
    };

    private static string Value(double? value, string unit) => value is not double v
        ? "-"
        : unit.Length == 0 ? ReportText.Number(v, "0.####") : ReportText.Number(v, "0.###") + " " + unit;

    private static string Cell(string text) => (text ?? string.Empty).Replace("|", "\\|").Replace("\r", " ").Replace("\n", " ");

    private sealed class Utf8StringWriter : StringWriter
    {
        public Utf8StringWriter()
            : base(CultureInfo.InvariantCulture)
        {
        }

        public override Encoding Encoding => new UTF8Encoding(false);
    }

    private static string Count(int n, string noun) => n.ToString(CultureInfo.InvariantCulture) + " " + noun + (n == 1 ? string.Empty : "s");
}
