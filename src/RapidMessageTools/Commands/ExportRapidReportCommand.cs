using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Text;
using RapidMessageTools.Baselines;
using RapidMessageTools.Reporting;
using RapidMessageTools.Results;

namespace RapidMessageTools.Commands;

/// <summary>
/// Export-RapidReport: writes results as one HTML, JUnit XML, JSON or Markdown file and returns the file;
/// Compare-RapidResult's rows as a Markdown summary or JUnit XML (one testcase per metric).
/// </summary>
[Cmdlet(VerbsData.Export, "RapidReport", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportRapidReportCommand : PSCmdlet
{
    private readonly List<RapidScenarioResult> _results = new();
    private readonly List<RapidComparison> _comparisons = new();

    /// <summary>Results, or Compare-RapidResult's rows: live, or deserialized from Import-Clixml, remoting or jobs.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public PSObject[] InputObject { get; set; } = [];

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>Html, JUnit, Json or Markdown; by default from the extension (.html, .xml, .json, .md); another extension needs -Format.</summary>
    [Parameter]
    public ReportFormat? Format { get; set; }

    /// <summary>Overwrite an existing file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var item in InputObject)
        {
            RapidComparison? row;
            try
            {
                row = ResultConverter.ComparisonFromPSObject(item);
            }
            catch (InvalidDataException e)
            {
                WriteError(new ErrorRecord(
                    new InvalidDataException($"The comparison row '{item}' cannot be read: {e.Message} Pass the rows Compare-RapidResult returned.", e),
                    ErrorIds.UnreadableScenarioResult,
                    ErrorCategory.InvalidData,
                    item));
                continue;
            }

            if (row is not null)
            {
                _comparisons.Add(row);
            }
            else
            {
                ResultConverter.Collect(this, [item], _results);
            }
        }
    }

    protected override void EndProcessing()
    {
        var path = GetUnresolvedProviderPathFromPSPath(Path);
        if ((Format ?? ReportFormats.FromPath(path)) is not ReportFormat format)
        {
            ThrowTerminatingError(new ErrorRecord(
                new ArgumentException($"'{System.IO.Path.GetFileName(path)}' does not name a report format: end -Path in .html, .xml (JUnit), .json or .md, or pass -Format Html, JUnit, Json or Markdown."),
                ErrorIds.ReportFormatUnknown,
                ErrorCategory.InvalidArgument,
                path));
            return;
        }

        if (_comparisons.Count > 0 && (_results.Count > 0 || !ComparisonReportWriter.Supports(format)))
        {
            ThrowTerminatingError(new ErrorRecord(
                new ArgumentException(_results.Count > 0
                    ? $"Results and comparison rows were piped together: report the {_results.Count} result(s) and the {_comparisons.Count} comparison row(s) to separate files."
                    : $"Comparison rows are written as Markdown (.md) or JUnit (.xml), not as {format}: choose one of those with -Path or -Format."),
                ErrorIds.ReportComparisonFormat,
                ErrorCategory.InvalidArgument,
                path));
            return;
        }

        var count = _comparisons.Count > 0 ? _comparisons.Count : _results.Count;
        var what = _comparisons.Count > 0 ? "comparison row(s)" : "result(s)";
        if (count == 0)
        {
            WriteWarning("No results to report: nothing was written.");
            return;
        }

        if (File.Exists(path) && !Force)
        {
            ThrowTerminatingError(new ErrorRecord(
                new IOException($"'{path}' exists already. Use -Force to overwrite it, or choose another -Path."),
                ErrorIds.ReportExists,
                ErrorCategory.ResourceExists,
                path));
        }

        if (!ShouldProcess(path, $"Write a {format} report of {count} {what}"))
        {
            return;
        }

        try
        {
            var directory = System.IO.Path.GetDirectoryName(path);
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            var text = _comparisons.Count > 0 ? ComparisonReportWriter.Write(format, _comparisons) : ReportFormats.Write(format, _results);
            File.WriteAllText(path, text, new UTF8Encoding(false));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(new ErrorRecord(
                new IOException($"Cannot write '{path}': {ex.Message} Choose a writable -Path.", ex),
                ErrorIds.ReportUnwritable,
                ErrorCategory.WriteError,
                path));
        }

        WriteVerbose($"Wrote a {format} report of {count} {what} to {path}.");
        WriteObject(new FileInfo(path));
    }
}
