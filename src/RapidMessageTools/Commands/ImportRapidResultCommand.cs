using System.IO;
using System.Management.Automation;
using RapidMessageTools.Baselines;
using RapidMessageTools.Capacity;
using RapidMessageTools.Results;

namespace RapidMessageTools.Commands;

/// <summary>Import-RapidResult: loads the results a result file (or a folder of them) holds, as the objects they were.</summary>
[Cmdlet(VerbsData.Import, "RapidResult")]
[OutputType(typeof(RapidScenarioResult), typeof(RapidCapacityResult))]
public sealed class ImportRapidResultCommand : PSCmdlet
{
    /// <summary>Files or folders Export-RapidResult wrote; Get-ChildItem output binds by FullName.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    protected override void ProcessRecord()
    {
        foreach (var given in Path)
        {
            var path = GetUnresolvedProviderPathFromPSPath(given);
            RapidResultSet set;
            try
            {
                set = ResultFile.ReadAll(path, bad => WriteError(BaselineBinding.ToError(bad)));
            }
            catch (ResultFileException bad)
            {
                ThrowTerminatingError(BaselineBinding.ToError(bad));
                return;
            }

            foreach (var (result, _) in set.Scenarios)
            {
                WriteObject(result);
            }

            foreach (var (capacity, _) in set.Capacities)
            {
                WriteObject(capacity);
            }
        }
    }
}
