using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
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

/// <summary>
/// The protocol profile a result ran with. Results gain a <c>Protocol</c> string property (the profile's name) in a
/// parallel change; until then this is null and profiles are not compared. Every file, comparison and message reads
/// the profile through here, so the day the property exists it is saved (the whole result is), loaded and compared.
/// </summary>
public static class ResultProtocol
{
    private static readonly PropertyInfo? ScenarioProperty = Find(typeof(RapidScenarioResult));
    private static readonly PropertyInfo? CapacityProperty = Find(typeof(RapidCapacityResult));

    public static string? Of(RapidScenarioResult result) => ScenarioProperty?.GetValue(result) as string;

    public static string? Of(RapidCapacityResult result) => CapacityProperty?.GetValue(result) as string;

    private static PropertyInfo? Find(Type type) =>
        type.GetProperty("Protocol", BindingFlags.Public | BindingFlags.Instance) is { } p && p.PropertyType == typeof(string) ? p : null;
}
