using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Xml;
using RapidMessageTools.Results;

namespace RapidMessageTools.Reporting;

/// <summary>JUnit XML: one testcase per scenario; a failed one carries its violations.</summary>
public static class JUnitReportWriter
{
    public static string Write(IReadOnlyList<RapidScenarioResult> results)
    {
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) };
        using var text = new Utf8StringWriter();
        using (var w = XmlWriter.Create(text, settings))
        {
            var failures = results.Count(r => !r.Passed);
            var time = results.Sum(r => r.Duration).ToString("0.###", CultureInfo.InvariantCulture);
            w.WriteStartElement("testsuites");
            w.WriteAttributeString("name", "RapidMessageTools");
            w.WriteAttributeString("tests", results.Count.ToString(CultureInfo.InvariantCulture));
            w.WriteAttributeString("failures", failures.ToString(CultureInfo.InvariantCulture));
            w.WriteAttributeString("time", time);
            w.WriteStartElement("testsuite");
            w.WriteAttributeString("name", "RapidMessageTools");
            w.WriteAttributeString("tests", results.Count.ToString(CultureInfo.InvariantCulture));
            w.WriteAttributeString("failures", failures.ToString(CultureInfo.InvariantCulture));
            w.WriteAttributeString("errors", "0");
            w.WriteAttributeString("time", time);
            foreach (var r in results)
            {
                w.WriteStartElement("testcase");
                w.WriteAttributeString("classname", "RapidMessageTools.Scenarios");
                w.WriteAttributeString("name", r.Scenario);
                w.WriteAttributeString("time", r.Duration.ToString("0.###", CultureInfo.InvariantCulture));
                WriteThresholds(w, r);
                if (!r.Passed)
                {
                    var first = r.Violations.FirstOrDefault();
                    w.WriteStartElement("failure");
                    w.WriteAttributeString("message", first?.ToString() ?? "failed");
                    w.WriteAttributeString("type", first?.Code ?? "Failed");
                    w.WriteString(string.Join("\n", r.Violations.Select(v => v.ToString())));
                    w.WriteEndElement();
                }

                w.WriteElementString("system-out", string.Join("\n", new[] { ReportText.Figures(r), ReportText.Streams(r), ReportText.Thresholds(r) }.Where(line => line is not null)));
                w.WriteEndElement();
            }

            w.WriteEndElement();
            w.WriteEndElement();
        }

        return text.ToString();
    }

    /// <summary>The limits the scenario was judged by, as testcase properties (one per limit, stream limits included).</summary>
    private static void WriteThresholds(XmlWriter w, RapidScenarioResult r)
    {
        var t = r.Thresholds ?? new RapidThresholds();
        w.WriteStartElement("properties");
        foreach (var limit in ThresholdResolver.Limits)
        {
            w.WriteStartElement("property");
            w.WriteAttributeString("name", "threshold." + limit.Name);
            w.WriteAttributeString("value", t.Value(limit.Name).ToString("R", CultureInfo.InvariantCulture));
            w.WriteEndElement();
        }

        w.WriteEndElement();
    }

    private sealed class Utf8StringWriter : StringWriter
    {
        public Utf8StringWriter()
            : base(CultureInfo.InvariantCulture)
        {
        }

        public override Encoding Encoding => new UTF8Encoding(false);
    }
}
