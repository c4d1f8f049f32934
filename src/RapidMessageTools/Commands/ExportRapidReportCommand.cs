using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Text;
using RapidMessageTools.Reporting;
using RapidMessageTools.Results;

namespace RapidMessageTools.Commands;

/// <summary>Export-RapidReport: writes results as one HTML, JUnit XML, JSON or Markdown file and returns the file.</summary>
[Cmdlet(VerbsData.Export, "RapidReport", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportRapidReportCommand : PSCmdlet
{
    private readonly List<RapidScenarioResult> _results = new();

    /// <summary>Results: live, or deserialized from Import-Clixml, remoting or jobs.</summary>
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

    protected override void ProcessRecord() => ResultConverter.Collect(this, InputObject, _results);

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

        if (_results.Count == 0)
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

        if (!ShouldProcess(path, $"Write a {format} report of {_results.Count} result(s)"))
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

            File.WriteAllText(path, ReportFormats.Write(format, _results), new UTF8Encoding(false));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(new ErrorRecord(
                new IOException($"Cannot write '{path}': {ex.Message} Choose a writable -Path.", ex),
                ErrorIds.ReportUnwritable,
                ErrorCategory.WriteError,
                path));
        }

        WriteVerbose($"Wrote a {format} report of {_results.Count} result(s) to {path}.");
        WriteObject(new FileInfo(path));
    }
}
