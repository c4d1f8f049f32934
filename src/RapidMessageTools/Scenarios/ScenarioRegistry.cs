using System;
using System.Collections.Generic;
using System.Linq;
using RapidMessageTools.Results;

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

    /// <summary>Which limits the scenario named <paramref name="name"/> judges on every run; null when there is no such scenario.</summary>
    public static ScenarioJudging? JudgingOf(string name) =>
        TryGet(name, out var s) ? new ScenarioJudging(s.ChecksLatency, s.ChecksThroughput) : null;

    public static RapidScenarioInfo Describe(IRapidScenario s) => new(s.Name, s.Description, s.FailsWhen, s.Defaults.Clone());
}
