using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using RapidMessageTools.Scenarios;

namespace RapidMessageTools.Commands;

/// <summary>Completes scenario names on the shell.</summary>
public sealed class ScenarioNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var prefix = (wordToComplete ?? string.Empty).Trim('\'', '"');
        return ScenarioRegistry.Scenarios
            .Where(s => s.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(s => new CompletionResult(s.Name, s.Name, CompletionResultType.ParameterValue, s.Description));
    }
}
