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

/// <summary>Resolves thresholds: explicit values (parameters, -Threshold, then RAPID_TEST_* through the settings), then defaults.</summary>
public static class ThresholdResolver
{
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

    /// <summary>The effective limits: what <paramref name="input"/> gives, else the defaults.</summary>
    public static RapidThresholds Resolve(ThresholdInput input)
    {
        var t = new RapidThresholds
        {
            MaxLatency = input.MaxLatency ?? RapidThresholds.DefaultMaxLatency,
            LatencyPercentile = input.LatencyPercentile ?? RapidThresholds.DefaultLatencyPercentile,
            MinThroughput = input.MinThroughput ?? RapidThresholds.DefaultMinThroughput,
            MinDeliveryRatio = input.MinDeliveryRatio ?? RapidThresholds.DefaultMinDeliveryRatio,
            MaxMemoryGrowth = input.MaxMemoryGrowth ?? RapidThresholds.DefaultMaxMemoryGrowth,
        };
        t.Validate();
        return t;
    }
}
