using System.Management.Automation;
using RapidMessageTools.Scenarios;

namespace RapidMessageTools.Commands;

/// <summary>Get-RapidScenario: lists the scenarios with what they do, when they fail, and their defaults.</summary>
[Cmdlet(VerbsCommon.Get, "RapidScenario")]
[OutputType(typeof(RapidScenarioInfo))]
public sealed class GetRapidScenarioCommand : PSCmdlet
{
    /// <summary>Names or wildcard patterns; all scenarios when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true)]
    [ArgumentCompleter(typeof(ScenarioNameCompleter))]
    [SupportsWildcards]
    public string[] Name { get; set; } = ["*"];

    protected override void ProcessRecord()
    {
        foreach (var pattern in Name)
        {
            var wildcard = WildcardPattern.Get(pattern, WildcardOptions.IgnoreCase);
            var found = false;
            foreach (var scenario in ScenarioRegistry.Scenarios)
            {
                if (wildcard.IsMatch(scenario.Name))
                {
                    found = true;
                    WriteObject(ScenarioRegistry.Describe(scenario));
                }
            }

            if (!found && !WildcardPattern.ContainsWildcardCharacters(pattern))
            {
                WriteError(new ErrorRecord(
                    new ItemNotFoundException($"There is no scenario named '{pattern}'. Get-RapidScenario lists them: {string.Join(", ", ScenarioRegistry.Names)}."),
                    ErrorIds.ScenarioNotFound,
                    ErrorCategory.ObjectNotFound,
                    pattern));
            }
        }
    }
}
