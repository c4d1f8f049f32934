using System;
using System.Collections.Generic;
using System.Linq;

namespace RapidMessageTools.Scenarios;

/// <summary>Every scenario, in the order the report lists them.</summary>
public static class ScenarioRegistry
{
    private static readonly IRapidScenario[] All =
    [
        new SequentialScenario(),
        new BurstIdempotencyScenario(),
        new QueueOverflowScenario(),
        new AgentStateConsistencyScenario(),
        new WebSocketStabilityScenario(),
        new CrossAgentSyncScenario(),
        new MultiUserScenario(),
        new BenchmarkScenario(),
        new StreamingScenario(),
        new StreamCancelScenario(),
    ];

    public static IReadOnlyList<IRapidScenario> Scenarios => All;

    public static IEnumerable<string> Names => All.Select(s => s.Name);

    public static bool TryGet(string name, out IRapidScenario scenario)
    {
        scenario = All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))!;
        return scenario is not null;
    }

    public static RapidScenarioInfo Describe(IRapidScenario s) => new(s.Name, s.Description, s.FailsWhen, s.Defaults.Clone());
}
