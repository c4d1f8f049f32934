using System;
using System.Collections.Generic;
using System.IO;
using RapidMessageTools.Baselines;
using RapidMessageTools.Results;

namespace RapidMessageTools.Reporting;

/// <summary>The report formats Export-RapidReport writes.</summary>
public enum ReportFormat
{
    Html,
    JUnit,
    Json,
    Markdown,
}

/// <summary>Picks a format from a file's extension.</summary>
public static class ReportFormats
{
    /// <summary>The format a file's extension names, or null for an extension that names none (.pdf, .txt…).</summary>
    public static ReportFormat? FromPath(string path) => Path.GetExtension(path).ToUpperInvariant() switch
    {
        ".HTML" or ".HTM" => ReportFormat.Html,
        ".XML" => ReportFormat.JUnit,
        ".JSON" => ReportFormat.Json,
        ".MD" or ".MARKDOWN" => ReportFormat.Markdown,
        _ => null,
    };

    /// <summary>The report of <paramref name="results"/>; a <paramref name="baseline"/> is drawn in HTML only.</summary>
    public static string Write(ReportFormat format, IReadOnlyList<RapidScenarioResult> results, RapidResultSet? baseline = null) => format switch
    {
        ReportFormat.JUnit => JUnitReportWriter.Write(results),
        ReportFormat.Json => JsonReportWriter.Write(results),
        ReportFormat.Markdown => MarkdownReportWriter.Write(results),
        ReportFormat.Html => HtmlReportWriter.Write(results, baseline),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };
}
