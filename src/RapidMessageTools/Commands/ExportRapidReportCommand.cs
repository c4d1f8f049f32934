using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Text;
using RapidMessageTools.Baselines;
using RapidMessageTools.Capacity;
using RapidMessageTools.Reporting;
using RapidMessageTools.Results;

namespace RapidMessageTools.Commands;

/// <summary>
/// Export-RapidReport: writes results as one HTML, JUnit XML, JSON or Markdown file and returns the file;
/// Compare-RapidResult's rows as a Markdown summary or JUnit XML (one testcase per metric); with -Baseline, the
/// HTML draws each result's baseline runs in its charts; with -History, an HTML trend of a folder of result files.
/// </summary>
[Cmdlet(VerbsData.Export, "RapidReport", SupportsShouldProcess = true, DefaultParameterSetName = ResultsSet)]
[OutputType(typeof(FileInfo))]
public sealed class ExportRapidReportCommand : PSCmdlet
{
    private const string ResultsSet = "Results";
    private const string HistorySet = "History";

    private readonly List<RapidScenarioResult> _results = new();
    private readonly List<RapidCapacityResult> _capacities = new();
    private readonly List<RapidComparison> _comparisons = new();

    /// <summary>Results, or Compare-RapidResult's rows: live, or deserialized from Import-Clixml, remoting or jobs. With -History: the current runs (scenario runs, capacity searches).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ResultsSet)]
    [Parameter(ValueFromPipeline = true, ParameterSetName = HistorySet)]
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

    /// <summary>HTML only: a file or folder Export-RapidResult wrote, or results, drawn in each result's charts (RAPID_TEST_BASELINE is not read here).</summary>
    [Parameter(ParameterSetName = ResultsSet)]
    [ValidateNotNull]
    public object? Baseline { get; set; }

    /// <summary>A folder (or file) of result files to draw as a trend, one point per run.</summary>
    [Parameter(Mandatory = true, ParameterSetName = HistorySet)]
    [ValidateNotNullOrEmpty]
    public string History { get; set; } = string.Empty;

    /// <summary>How many of the newest runs of each series the trend draws, and judges each against.</summary>
    [Parameter(ParameterSetName = HistorySet)]
    [ValidateRange(2, 10000)]
    public int Last { get; set; } = 20;

    /// <summary>Tolerances by metric for the trend's Regressed points: @{ LatencyP99 = 0.2; Throughput = 0.1 }.</summary>
    [Parameter(ParameterSetName = HistorySet)]
    public Hashtable? Tolerance { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var item in InputObject)
        {
            if (ParameterSetName == HistorySet && ResultConverter.CapacityFromPSObject(item) is { } capacity)
            {
                _capacities.Add(capacity);
                continue;
            }

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
        var format = Format ?? ReportFormats.FromPath(path);
        if (ParameterSetName == HistorySet)
        {
            WriteTrend(path, format);
            return;
        }

        if (format is not ReportFormat known)
        {
            ThrowTerminatingError(new ErrorRecord(
                new ArgumentException($"'{System.IO.Path.GetFileName(path)}' does not name a report format: end -Path in .html, .xml (JUnit), .json or .md, or pass -Format Html, JUnit, Json or Markdown."),
                ErrorIds.ReportFormatUnknown,
                ErrorCategory.InvalidArgument,
                path));
            return;
        }

        if (Baseline is not null && known != ReportFormat.Html)
        {
            ThrowTerminatingError(new ErrorRecord(
                new ArgumentException($"-Baseline is drawn in the HTML report, not in {known}: end -Path in .html, or, for a comparison in words, pipe the results to Compare-RapidResult -Baseline and report its rows as Markdown or JUnit."),
                ErrorIds.ReportBaselineFormat,
                ErrorCategory.InvalidArgument,
                path));
            return;
        }

        if (_comparisons.Count > 0 && (_results.Count > 0 || !ComparisonReportWriter.Supports(known)))
        {
            ThrowTerminatingError(new ErrorRecord(
                new ArgumentException(_results.Count > 0
                    ? $"Results and comparison rows were piped together: report the {_results.Count} result(s) and the {_comparisons.Count} comparison row(s) to separate files."
                    : $"Comparison rows are written as Markdown (.md) or JUnit (.xml), not as {known}: choose one of those with -Path or -Format."),
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

        var baseline = Baseline is null ? null : BaselineBinding.Load(this, Baseline, "no result is drawn against it");
        if (baseline is { IsEmpty: false })
        {
            foreach (var result in _results)
            {
                var match = BaselineMatch.For(result, baseline);
                if (!match.Found)
                {
                    WriteWarning(result.Scenario + ": " + match.Note);
                }
            }
        }

        WriteReport(path, $"a {known} report of {count} {what}", () =>
            _comparisons.Count > 0 ? ComparisonReportWriter.Write(known, _comparisons) : ReportFormats.Write(known, _results, baseline));
    }

    /// <summary>-History: the folder's runs (and the piped current ones) as a trend page.</summary>
    private void WriteTrend(string path, ReportFormat? format)
    {
        if (format != ReportFormat.Html || _comparisons.Count > 0)
        {
            ThrowTerminatingError(new ErrorRecord(
                new ArgumentException(_comparisons.Count > 0
                    ? "A trend is drawn from results, not from Compare-RapidResult's rows: pipe the current results (Invoke-RapidScenario, Find-RapidCapacity, Import-RapidResult) or nothing."
                    : $"A trend is drawn as HTML, not as {(format is null ? System.IO.Path.GetExtension(path) : format.ToString())}: end -Path in .html, or pass -Format Html."),
                ErrorIds.ReportTrendFormat,
                ErrorCategory.InvalidArgument,
                path));
            return;
        }

        var tolerances = BaselineBinding.Tolerances(this, Tolerance);
        var history = GetUnresolvedProviderPathFromPSPath(History);
        if (!File.Exists(history) && !Directory.Exists(history))
        {
            ThrowTerminatingError(BaselineBinding.ToError(new ResultFileException(history, ResultFileProblem.Missing, "does not exist.")));
            return;
        }

        var files = Directory.Exists(history) ? Directory.GetFiles(history, "*.json").Length : 1;
        var unread = new List<string>();
        RapidResultSet set;
        try
        {
            set = ResultFile.ReadAll(history, bad =>
            {
                // As Import-RapidResult: an error naming the file and what to do, and the other files are read.
                var record = BaselineBinding.ToError(bad);
                record.ErrorDetails = new ErrorDetails(bad.Message + " It is left out of the trend: replace it with a good copy, or move it out of the folder.");
                WriteError(record);
                unread.Add(bad.Message);
            });
        }
        catch (ResultFileException bad)
        {
            ThrowTerminatingError(BaselineBinding.ToError(bad));
            return;
        }

        var current = new RapidResultSet();
        _results.ForEach(r => current.Scenarios.Add((r, string.Empty)));
        _capacities.ForEach(c => current.Capacities.Add((c, string.Empty)));
        if (set.IsEmpty && current.IsEmpty)
        {
            ThrowTerminatingError(new ErrorRecord(
                new InvalidDataException(files == 0
                    ? $"'{history}' holds no result files (*.json), so there is no trend to draw. Export runs into it with Export-RapidResult -Path '{history}{System.IO.Path.DirectorySeparatorChar}' (each run adds a file)."
                    : $"'{history}' holds no result that could be read ({unread.Count} of {files} file(s) could not, named in the errors above), so there is no trend to draw. Replace or remove those files."),
                ErrorIds.TrendNoRuns,
                ErrorCategory.ObjectNotFound,
                history));
            return;
        }

        var trend = RunTrend.Build(set, current, Last, tolerances);
        if (!trend.HasTrend)
        {
            ThrowTerminatingError(new ErrorRecord(
                new InvalidDataException($"A trend needs two runs or more of a scenario with the same settings; '{history}'{(current.IsEmpty ? " holds" : " and the piped results hold")} {trend.Describe()}. Export more runs into it with Export-RapidResult -Path '{history}{System.IO.Path.DirectorySeparatorChar}'."),
                ErrorIds.TrendNeedsTwoRuns,
                ErrorCategory.InvalidData,
                history));
            return;
        }

        foreach (var note in trend.Notes)
        {
            WriteWarning(note);
        }

        WriteReport(path, $"an Html trend of {trend.RunCount} run(s) in {trend.Series.Count} series", () => TrendReportWriter.Write(trend, history, unread, Last));
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> (refusing an existing file without -Force) and returns the file.</summary>
    private void WriteReport(string path, string what, Func<string> text)
    {
        if (File.Exists(path) && !Force)
        {
            ThrowTerminatingError(new ErrorRecord(
                new IOException($"'{path}' exists already. Use -Force to overwrite it, or choose another -Path."),
                ErrorIds.ReportExists,
                ErrorCategory.ResourceExists,
                path));
        }

        if (!ShouldProcess(path, "Write " + what))
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

            File.WriteAllText(path, text(), new UTF8Encoding(false));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(new ErrorRecord(
                new IOException($"Cannot write '{path}': {ex.Message} Choose a writable -Path.", ex),
                ErrorIds.ReportUnwritable,
                ErrorCategory.WriteError,
                path));
        }

        WriteVerbose($"Wrote {what} to {path}.");
        WriteObject(new FileInfo(path));
    }
}
