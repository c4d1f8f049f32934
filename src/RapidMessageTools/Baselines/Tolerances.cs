using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using RapidMessageTools.Results;

namespace RapidMessageTools.Baselines;

/// <summary>
/// How much worse a metric may get before it is a regression: a fraction of the baseline (0.1 = 10 %), or for a share
/// (delivery ratio, rejected share) an absolute difference (0.01 = one percentage point). Set by a -Tolerance key,
/// then RAPID_TEST_TOLERANCE_&lt;METRIC&gt; (LatencyP99: RAPID_TEST_TOLERANCE_LATENCY_P99), then the default.
/// </summary>
public sealed class RapidTolerance : INamedSetting
{
    internal RapidTolerance(string name, double defaultValue, bool absolute)
    {
        Name = name;
        Default = defaultValue;
        Absolute = absolute;
        Variable = "RAPID_TEST_TOLERANCE_" + Snake(name);
    }

    public string Name { get; }

    public string? Variable { get; }

    public double Default { get; }

    /// <summary>True for shares, whose tolerance is a difference of the share itself; false for a fraction of the baseline.</summary>
    public bool Absolute { get; }

    public string Expected => Absolute ? "a share between 0 and 1 (0.01 = one percentage point)" : "a fraction, 0 or more (0.1 = 10 %)";

    public bool IsValid(double value) => !double.IsNaN(value) && !double.IsInfinity(value) && value >= 0 && (!Absolute || value <= 1);

    /// <summary>The tolerance as people read it: "10 %" or "1 point(s)".</summary>
    public string Describe(double value) => Absolute
        ? ThresholdResolver.FormatValue(value * 100) + " points"
        : ThresholdResolver.FormatValue(value * 100) + " %";

    private static string Snake(string name)
    {
        var text = new StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]) && !char.IsUpper(name[i - 1]))
            {
                text.Append('_');
            }

            text.Append(char.ToUpperInvariant(name[i]));
        }

        return text.ToString();
    }
}

/// <summary>Resolved tolerances, each with where it came from (<see cref="ThresholdSources"/>).</summary>
public sealed class RapidTolerances
{
    public Dictionary<string, double> Values { get; } = new(StringComparer.OrdinalIgnoreCase);

    public Dictionary<string, string> Sources { get; } = new(StringComparer.OrdinalIgnoreCase);

    public double this[string name] => Values.TryGetValue(name, out var v) ? v : (ToleranceTable.Find(name)?.Default ?? 0);

    /// <summary>The defaults only (nothing named, no variables read).</summary>
    public static RapidTolerances Defaults()
    {
        var t = new RapidTolerances();
        foreach (var tolerance in ToleranceTable.All)
        {
            t.Values[tolerance.Name] = tolerance.Default;
            t.Sources[tolerance.Name] = ThresholdSources.Default;
        }

        return t;
    }
}

/// <summary>Every tolerance, declared once, resolved by the limits' precedence (<see cref="SettingTable"/>).</summary>
public static class ToleranceTable
{
    public static IReadOnlyList<RapidTolerance> All { get; } =
    [
        new("LatencyP50", 0.1, false),
        new("LatencyP95", 0.1, false),
        new("LatencyP99", 0.1, false),
        new("Throughput", 0.05, false),
        new("DeliveryRatio", 0.01, true),
        new("RejectedShare", 0.01, true),
        new("FirstChunkLatency", 0.1, false),
        new("ChunkGap", 0.1, false),
        new("MemoryGrowth", 0.5, false),
        new("Capacity", 0.1, false),
    ];

    public static RapidTolerance? Find(string name) =>
        All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// A -Tolerance key, then RAPID_TEST_TOLERANCE_* variables, then the defaults. A bad key or value throws
    /// <see cref="ArgumentException"/> naming it; a bad variable is a warning and its default stands.
    /// </summary>
    public static RapidTolerances Resolve(IDictionary? table, Func<string, string?> getEnv, ICollection<string> warnings)
    {
        var resolved = new RapidTolerances();
        foreach (var (tolerance, value, source) in SettingTable.Resolve(All, "-Tolerance", null, table, getEnv, warnings))
        {
            resolved.Values[tolerance.Name] = value;
            resolved.Sources[tolerance.Name] = source;
        }

        return resolved;
    }

    internal static string Percent(double fraction) =>
        (fraction * 100).ToString("+0.#;-0.#;0", CultureInfo.InvariantCulture) + " %";
}
