using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using RapidMessageTools.Baselines;

namespace RapidMessageTools.Commands;

/// <summary>Export-RapidResult: saves results (scenario runs, capacity searches) to a result file without loss.</summary>
[Cmdlet(VerbsData.Export, "RapidResult")]
[OutputType(typeof(FileInfo))]
public sealed class ExportRapidResultCommand : PSCmdlet
{
    private readonly RapidResultSet _set = new();

    /// <summary>Results of Invoke-RapidScenario or Find-RapidCapacity, live or deserialized.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public PSObject[] InputObject { get; set; } = [];

    /// <summary>A .json file, or a folder (existing, or ending in a separator) to write a new timestamped file into.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>Overwrites an existing file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var item in InputObject)
        {
            if (ResultConverter.CapacityFromPSObject(item) is { } capacity)
            {
                _set.Capacities.Add((capacity, string.Empty));
                continue;
            }

            var results = new List<Results.RapidScenarioResult>();
            ResultConverter.Collect(this, [item], results);
            results.ForEach(r => _set.Scenarios.Add((r, string.Empty)));
        }
    }

    protected override void EndProcessing()
    {
        if (_set.IsEmpty)
        {
            return;
        }

        var path = GetUnresolvedProviderPathFromPSPath(Path);
        var now = DateTime.UtcNow;
        if (Directory.Exists(path) || Path.EndsWith("/", StringComparison.Ordinal) || Path.EndsWith("\\", StringComparison.Ordinal))
        {
            var runId = _set.Scenarios.Count > 0 ? _set.Scenarios[0].Result.RunId : string.Empty;
            var name = "rapid-" + now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + (runId.Length == 0 ? string.Empty : "-" + runId) + ".json";
            path = System.IO.Path.Combine(path, name);
        }

        if (File.Exists(path) && !Force)
        {
            ThrowTerminatingError(new ErrorRecord(
                new IOException($"'{path}' exists already. Use -Force to overwrite it, or give a folder to add a new file to it."),
                ErrorIds.ResultFileExists,
                ErrorCategory.ResourceExists,
                path));
        }

        try
        {
            var directory = System.IO.Path.GetDirectoryName(path);
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            File.WriteAllText(path, ResultFile.Write(_set, now, MyInvocation.MyCommand.Module?.Version?.ToString() ?? string.Empty));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(new ErrorRecord(
                new IOException($"Cannot write '{path}': {ex.Message} Choose a writable -Path.", ex),
                ErrorIds.ResultFileUnwritable,
                ErrorCategory.WriteError,
                path));
        }

        WriteObject(new FileInfo(path));
    }
}
