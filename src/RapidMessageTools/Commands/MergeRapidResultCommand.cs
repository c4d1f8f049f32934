using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using RapidMessageTools.Results;
using RapidMessageTools.Scenarios;

namespace RapidMessageTools.Commands;

/// <summary>Merge-RapidResult: merges results of the same scenario from shards or machines into one, exactly.</summary>
[Cmdlet(VerbsData.Merge, "RapidResult")]
[OutputType(typeof(RapidScenarioResult))]
public sealed class MergeRapidResultCommand : PSCmdlet
{
    private readonly List<RapidScenarioResult> _results = new();

    /// <summary>Results: live, or deserialized from Import-Clixml, remoting or jobs.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public PSObject[] InputObject { get; set; } = [];

    protected override void ProcessRecord() => ResultConverter.Collect(this, InputObject, _results);

    protected override void EndProcessing()
    {
        foreach (var group in _results.GroupBy(r => r.Scenario, StringComparer.OrdinalIgnoreCase))
        {
            var shards = group.Select(r => r.Shard).ToArray();
            var repeated = shards.GroupBy(s => s).Where(g => g.Count() > 1 && g.Key != "1/1").Select(g => g.Key).ToArray();
            if (repeated.Length > 0)
            {
                WriteWarning($"{group.Key}: shard(s) {string.Join(", ", repeated)} appear more than once; their counts are added.");
            }

            var merged = ResultMerger.Merge(group.ToList(), ScenarioRegistry.JudgingOf(group.Key));
            var (missing, totals) = ResultMerger.MissingShards(group);
            if (totals.Length > 1)
            {
                WriteWarning($"{group.Key}: the results name shards of {string.Join(" and ", totals)}; they come from different loads, so the merge is not one whole load.");
            }
            else if (missing.Length > 0)
            {
                var text = $"{group.Key}: {totals[0] - missing.Length} of {totals[0]} shards merged; missing {string.Join(", ", missing.Select(i => i + "/" + totals[0]))}. The merged result covers part of the load.";
                WriteWarning(text);
                merged.Notes = merged.Notes.Append(text).ToArray();
            }

            WriteVerbose($"Merging {group.Count()} {group.Key} result(s) from shards {string.Join(", ", shards)}.");
            WriteObject(merged);
        }
    }
}
