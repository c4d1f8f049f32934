using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace RapidMessageTools.Metrics;

/// <summary>Where a limit's value came from (the values of <see cref="RapidThresholds.Sources"/>).</summary>
public static class ThresholdSources
{
    /// <summary>A cmdlet parameter such as -MaxLatency.</summary>
    public const string Parameter = nameof(Parameter);

    /// <summary>A key of the -Threshold hashtable.</summary>
    public const string Table = "Threshold";

    /// <summary>A RAPID_TEST_* environment variable.</summary>
    public const string Environment = nameof(Environment);

    /// <summary>Nothing named a value: the built-in default.</summary>
    public const string Default = nameof(Default);
}

/// <summary>One limit a run is judged by: its name (parameter, -Threshold key and property), variable, default and valid range.</summary>
public sealed class ThresholdLimit
{
    private readonly Func<double, bool> _valid;
    private readonly Action<RapidThresholds, double> _set;
    private readonly Func<RapidThresholds, double> _get;

    internal ThresholdLimit(string name, string? variable, double defaultValue, string expected, Func<double, bool> valid, Func<RapidThresholds, double> get, Action<RapidThresholds, double> set)
    {
        Name = name;
        Variable = variable;
        Default = defaultValue;
        Expected = expected;
        _valid = valid;
        _get = get;
        _set = set;
    }

    public string Name { get; }

    /// <summary>The RAPID_TEST_* variable that sets it, or null.</summary>
    public string? Variable { get; }

    public double Default { get; }

    /// <summary>What a valid value is, for error messages.</summary>
    public string Expected { get; }

    public bool IsValid(double value) => !double.IsNaN(value) && !double.IsInfinity(value) && _valid(value);

    internal void Apply(RapidThresholds thresholds, double value) => _set(thresholds, value);

    internal double Read(RapidThresholds thresholds) => _get(thresholds);
}

/// <summary>
/// The one place limits are resolved: a parameter, then a -Threshold key, then the RAPID_TEST_* variable,
/// then the default. Every limit records its source in <see cref="RapidThresholds.Sources"/>.
/// </summary>
public static class ThresholdResolver
{
    public const string MaxLatencyVariable = "RAPID_TEST_MAX_LATENCY";
    public const string MinThroughputVariable = "RAPID_TEST_MIN_THROUGHPUT";
    public const string MinDeliveryRatioVariable = "RAPID_TEST_MIN_DELIVERY_RATIO";
    public const string MaxMemoryGrowthVariable = "RAPID_TEST_MAX_MEMORY_GROWTH";
    public const string MaxFirstChunkLatencyVariable = "RAPID_TEST_MAX_FIRST_CHUNK_LATENCY";
    public const string MaxChunkGapVariable = "RAPID_TEST_MAX_CHUNK_GAP";

    /// <summary>Every limit, in the order they are shown.</summary>
    public static IReadOnlyList<ThresholdLimit> Limits { get; } =
    [
        new(nameof(RapidThresholds.MaxLatency), MaxLatencyVariable, RapidThresholds.DefaultMaxLatency, "seconds, more than 0", v => v > 0, t => t.MaxLatency, (t, v) => t.MaxLatency = v),
        new(nameof(RapidThresholds.LatencyPercentile), null, RapidThresholds.DefaultLatencyPercentile, "one of 50, 90, 99, 99.9, 100", v => v is 50 or 90 or 99 or 99.9 or 100, t => t.LatencyPercentile, (t, v) => t.LatencyPercentile = v),
        new(nameof(RapidThresholds.MinThroughput), MinThroughputVariable, RapidThresholds.DefaultMinThroughput, "messages per second, 0 or more", v => v >= 0, t => t.MinThroughput, (t, v) => t.MinThroughput = v),
        new(nameof(RapidThresholds.MinDeliveryRatio), MinDeliveryRatioVariable, RapidThresholds.DefaultMinDeliveryRatio, "a ratio between 0 and 1", v => v is >= 0 and <= 1, t => t.MinDeliveryRatio, (t, v) => t.MinDeliveryRatio = v),
        new(nameof(RapidThresholds.MaxMemoryGrowth), MaxMemoryGrowthVariable, RapidThresholds.DefaultMaxMemoryGrowth, "a number of bytes, 0 or more", v => v >= 0, t => t.MaxMemoryGrowth, (t, v) => t.MaxMemoryGrowth = v),
        new(nameof(RapidThresholds.MaxFirstChunkLatency), MaxFirstChunkLatencyVariable, RapidThresholds.DefaultMaxFirstChunkLatency, "seconds, more than 0", v => v > 0, t => t.MaxFirstChunkLatency, (t, v) => t.MaxFirstChunkLatency = v),
        new(nameof(RapidThresholds.MaxChunkGap), MaxChunkGapVariable, RapidThresholds.DefaultMaxChunkGap, "seconds, more than 0", v => v > 0, t => t.MaxChunkGap, (t, v) => t.MaxChunkGap = v),
    ];

    /// <summary>The limit named <paramref name="name"/> (any case), or null.</summary>
    public static ThresholdLimit? Find(string name) =>
        Limits.FirstOrDefault(l => string.Equals(l.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Resolves every limit. <paramref name="parameters"/>: values of bound parameters, by limit name.
    /// <paramref name="table"/>: the -Threshold hashtable. An invalid parameter or table value, or an unknown
    /// key, throws <see cref="ArgumentException"/> naming it; an unparsable or out-of-range environment value
    /// adds a warning naming the variable, and the default stands.
    /// </summary>
    public static RapidThresholds Resolve(IReadOnlyDictionary<string, double>? parameters, IDictionary? table, Func<string, string?> getEnv, ICollection<string> warnings)
    {
        if (getEnv is null)
        {
            throw new ArgumentNullException(nameof(getEnv));
        }

        var fromTable = ReadTable(table);
        var result = new RapidThresholds();
        foreach (var limit in Limits)
        {
            var (value, source) = Pick(limit, parameters, fromTable, getEnv, warnings);
            limit.Apply(result, value);
            result.Sources[limit.Name] = source;
        }

        return result;
    }

    private static (double Value, string Source) Pick(ThresholdLimit limit, IReadOnlyDictionary<string, double>? parameters, Dictionary<string, double> table, Func<string, string?> getEnv, ICollection<string> warnings)
    {
        if (parameters is not null && parameters.TryGetValue(limit.Name, out var given))
        {
            return limit.IsValid(given)
                ? (given, ThresholdSources.Parameter)
                : throw new ArgumentException(Invariant($"-{limit.Name} must be {limit.Expected}, not {given}."), limit.Name);
        }

        if (table.TryGetValue(limit.Name, out var keyed))
        {
            return limit.IsValid(keyed)
                ? (keyed, ThresholdSources.Table)
                : throw new ArgumentException(Invariant($"-Threshold key '{limit.Name}' must be {limit.Expected}, not {keyed}."), limit.Name);
        }

        var text = limit.Variable is null ? null : getEnv(limit.Variable);
        if (!string.IsNullOrWhiteSpace(text))
        {
            if (double.TryParse(text!.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && limit.IsValid(parsed))
            {
                return (parsed, ThresholdSources.Environment);
            }

            warnings.Add($"{limit.Variable}='{text.Trim()}' is not {limit.Expected}; the default {FormatValue(limit.Default)} stands.");
        }

        return (limit.Default, ThresholdSources.Default);
    }

    private static Dictionary<string, double> ReadTable(IDictionary? table)
    {
        var values = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        if (table is null)
        {
            return values;
        }

        foreach (DictionaryEntry kv in table)
        {
            var key = kv.Key?.ToString() ?? string.Empty;
            var limit = Find(key) ?? throw new ArgumentException(
                $"Unknown -Threshold key '{key}': use {string.Join(", ", Limits.Select(l => l.Name))}.", key);
            if (!TryNumber(kv.Value, out var value))
            {
                throw new ArgumentException($"-Threshold key '{limit.Name}' must be {limit.Expected}, not '{kv.Value}'.", limit.Name);
            }

            values[limit.Name] = value;
        }

        return values;
    }

    private static bool TryNumber(object? value, out double result)
    {
        switch (value)
        {
            case null:
                result = 0;
                return false;
            case string s:
                return double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out result);
            case IConvertible c when value is not bool and not char and not DateTime:
                try
                {
                    result = c.ToDouble(CultureInfo.InvariantCulture);
                    return true;
                }
                catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException)
                {
                    result = 0;
                    return false;
                }

            default:
                result = 0;
                return false;
        }
    }

    /// <summary>A limit's value as people read it: up to 6 significant digits, never rounded to 0.</summary>
    public static string FormatValue(double value) =>
        value >= 1e15 ? value.ToString("0.###e+0", CultureInfo.InvariantCulture) : value.ToString("G6", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
