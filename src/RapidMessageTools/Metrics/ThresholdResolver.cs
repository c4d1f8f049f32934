using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;

namespace RapidMessageTools.Metrics;

/// <summary>Limits given by the caller; null means "not given".</summary>
public sealed class ThresholdInput
{
    public double? MaxLatency { get; set; }
    public double? LatencyPercentile { get; set; }
    public double? MinThroughput { get; set; }
    public double? MinDeliveryRatio { get; set; }
    public double? MaxMemoryGrowth { get; set; }
}

/// <summary>Resolves thresholds: explicit values, then the RAPID_TEST_* environment variables, then defaults.</summary>
public static class ThresholdResolver
{
    public const string MaxMemoryGrowthVariable = "RAPID_TEST_MAX_MEMORY_GROWTH";
    public const string MinThroughputVariable = "RAPID_TEST_MIN_THROUGHPUT";
    public const string MaxLatencyVariable = "RAPID_TEST_MAX_LATENCY";
    public const string MinDeliveryRatioVariable = "RAPID_TEST_MIN_DELIVERY_RATIO";

    /// <summary>Copies the known keys of a hashtable (-Threshold @{ MaxLatency = 0.5 }) into <paramref name="input"/> where not already set; unknown keys throw.</summary>
    public static void MergeTable(ThresholdInput input, IDictionary? table)
    {
        if (table is null)
        {
            return;
        }

        foreach (DictionaryEntry kv in table)
        {
            var key = kv.Key?.ToString() ?? string.Empty;
            var value = Convert.ToDouble(kv.Value, CultureInfo.InvariantCulture);
            switch (key.ToUpperInvariant())
            {
                case "MAXLATENCY":
                    input.MaxLatency ??= value;
                    break;
                case "LATENCYPERCENTILE":
                    input.LatencyPercentile ??= value;
                    break;
                case "MINTHROUGHPUT":
                    input.MinThroughput ??= value;
                    break;
                case "MINDELIVERYRATIO":
                    input.MinDeliveryRatio ??= value;
                    break;
                case "MAXMEMORYGROWTH":
                    input.MaxMemoryGrowth ??= value;
                    break;
                default:
                    throw new ArgumentException($"Unknown threshold '{key}': use MaxLatency, LatencyPercentile, MinThroughput, MinDeliveryRatio or MaxMemoryGrowth.");
            }
        }
    }

    /// <summary>The effective limits; <paramref name="warnings"/> names each unparsable variable.</summary>
    public static RapidThresholds Resolve(ThresholdInput input, Func<string, string?> getEnvironment, List<string> warnings)
    {
        var t = new RapidThresholds
        {
            MaxLatency = input.MaxLatency ?? FromEnvironment(MaxLatencyVariable, RapidThresholds.DefaultMaxLatency, getEnvironment, warnings, v => v > 0),
            LatencyPercentile = input.LatencyPercentile ?? RapidThresholds.DefaultLatencyPercentile,
            MinThroughput = input.MinThroughput ?? FromEnvironment(MinThroughputVariable, RapidThresholds.DefaultMinThroughput, getEnvironment, warnings, v => v >= 0),
            MinDeliveryRatio = input.MinDeliveryRatio ?? FromEnvironment(MinDeliveryRatioVariable, RapidThresholds.DefaultMinDeliveryRatio, getEnvironment, warnings, v => v is >= 0 and <= 1),
            MaxMemoryGrowth = input.MaxMemoryGrowth ?? FromEnvironment(MaxMemoryGrowthVariable, RapidThresholds.DefaultMaxMemoryGrowth, getEnvironment, warnings, v => v >= 0),
        };
        t.Validate();
        return t;
    }

    /// <summary>Whether the throughput / latency limit was set by the caller or the environment (then it applies to every scenario).</summary>
    public static bool IsSet(double? explicitValue, string variable, Func<string, string?> getEnvironment) =>
        explicitValue is not null || !string.IsNullOrWhiteSpace(getEnvironment(variable));

    private static double FromEnvironment(string name, double fallback, Func<string, string?> getEnvironment, List<string> warnings, Func<double, bool> valid)
    {
        var text = getEnvironment(name);
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && valid(value))
        {
            return value;
        }

        warnings.Add($"Environment variable {name} has the value '{text}', which is not a valid number for it; using the default {fallback.ToString(CultureInfo.InvariantCulture)}.");
        return fallback;
    }
}
