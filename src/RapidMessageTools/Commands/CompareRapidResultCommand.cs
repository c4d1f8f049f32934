using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using RapidMessageTools.Baselines;
using RapidMessageTools.Capacity;
using RapidMessageTools.Results;

namespace RapidMessageTools.Commands;

/// <summary>Compare-RapidResult: compares results with a baseline, one row per scenario and metric, aware of noise.</summary>
[Cmdlet(VerbsData.Compare, "RapidResult")]
[OutputType(typeof(RapidComparison))]
public sealed class CompareRapidResultCommand : PSCmdlet
{
    private readonly List<RapidScenarioResult> _current = new();
    private readonly List<RapidCapacityResult> _capacities = new();

    /// <summary>A file or folder Export-RapidResult wrote, or results; RAPID_TEST_BASELINE when absent.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNull]
    public object? Baseline { get; set; }

    /// <summary>The results to judge (scenario runs, capacity searches), usually from the pipeline.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public PSObject[] Current { get; set; } = [];

    /// <summary>Tolerances by metric: @{ LatencyP99 = 0.2; Throughput = 0.1 }.</summary>
    [Parameter]
    public Hashtable? Tolerance { get; set; }

    private RapidTolerances _tolerances = RapidTolerances.Defaults();

    protected override void BeginProcessing() => _tolerances = BaselineBinding.Tolerances(this, Tolerance);

    protected override void ProcessRecord()
    {
        foreach (var item in Current)
        {
            if (ResultConverter.CapacityFromPSObject(item) is { } capacity)
            {
                _capacities.Add(capacity);
            }
            else
            {
                ResultConverter.Collect(this, [item], _current);
            }
        }
    }

    protected override void EndProcessing()
    {
        var baseline = BaselineBinding.Load(this, Baseline);
        if (baseline is null)
        {
            ThrowTerminatingError(new ErrorRecord(
                new PSArgumentException($"No baseline: pass -Baseline (a file or folder Export-RapidResult wrote, or results) or set {BaselineBinding.BaselineVariable}."),
                ErrorIds.NoBaselineGiven,
                ErrorCategory.InvalidArgument,
                null));
            return;
        }

        var report = ResultComparer.Compare(baseline, _current, _capacities, _tolerances);
        BaselineBinding.Report(this, report);
        WriteObject(report.Rows, enumerateCollection: true);
    }
}
