using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using RapidMessageTools.Scenarios;

namespace RapidMessageTools.Commands;

/// <summary>Completes scenario names on the shell.</summary>
public class ScenarioNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var prefix = (wordToComplete ?? string.Empty).Trim('\'', '"');
        return ScenarioRegistry.Scenarios
            .Where(s => Offers(s) && s.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(s => new CompletionResult(s.Name, s.Name, CompletionResultType.ParameterValue, s.Description));
    }

    /// <summary>Whether <paramref name="scenario"/> is offered (every scenario here).</summary>
    protected virtual bool Offers(IRapidScenario scenario) => true;
}

/// <summary>Completes the names of scenarios that send at an arrival rate (<see cref="IStagedScenario"/>), the ones a capacity search can raise.</summary>
public sealed class StagedScenarioCompleter : ScenarioNameCompleter
{
    protected override bool Offers(IRapidScenario scenario) => scenario is IStagedScenario;
}
