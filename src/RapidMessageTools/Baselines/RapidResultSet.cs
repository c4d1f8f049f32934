using System;
using System.Collections.Generic;
using System.Linq;
using RapidMessageTools.Capacity;
using RapidMessageTools.Results;

namespace RapidMessageTools.Baselines;

/// <summary>Results read from files or given live: scenario results and capacity searches, each with the file it came from (empty when live).</summary>
public sealed class RapidResultSet
{
    public List<(RapidScenarioResult Result, string Source)> Scenarios { get; } = new();

    public List<(RapidCapacityResult Result, string Source)> Capacities { get; } = new();

    public bool IsEmpty => Scenarios.Count == 0 && Capacities.Count == 0;

    public void Add(RapidResultSet other)
    {
        if (other is null)
        {
            throw new ArgumentNullException(nameof(other));
        }

        Scenarios.AddRange(other.Scenarios);
        Capacities.AddRange(other.Capacities);
    }

    /// <summary>The scenarios the set holds, for messages ("Benchmark, Streaming").</summary>
    public string Describe()
    {
        var names = Scenarios.Select(s => s.Result.Scenario).Concat(Capacities.Select(c => "capacity of " + c.Result.Scenario)).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        return names.Length == 0 ? "nothing" : string.Join(", ", names);
    }
}

/// <summary>The protocol profile a result ran with (its name): files, comparisons and messages read it through here.</summary>
public static class ResultProtocol
{
    public static string? Of(RapidScenarioResult result) => result?.Protocol;

    public static string? Of(RapidCapacityResult result) => result?.Protocol;
}
