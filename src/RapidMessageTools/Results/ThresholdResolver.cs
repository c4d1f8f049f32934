using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace RapidMessageTools.Results;

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

/// <summary>Whether a limit caps what it measures (Max), sets its floor (Min), or is a setting of other limits (the latency percentile).</summary>
public enum LimitDirection
{
    Max,
    Min,
    Setting,
}

/// <summary>Which runs a limit judges when the caller did not name it.</summary>
public enum LimitScope
{
    /// <summary>Every run (delivery ratio, memory growth, chunk gap).</summary>
    Always,

    /// <summary>Runs of scenarios that measure latency (<see cref="ScenarioJudging.ChecksLatency"/>).</summary>
    LatencyScenarios,

    /// <summary>Runs of scenarios that measure throughput (<see cref="ScenarioJudging.ChecksThroughput"/>).</summary>
    ThroughputScenarios,
}

/// <summary>
/// One limit a run is judged by, declared once: its name (parameter, -Threshold key and property), variable,
/// default, valid range, unit and direction, what it measures in a result, and the sentence its violation reads.
/// Resolving, judging, merging and every report read this; so can anything that compares results metric by metric.
/// </summary>
public sealed class ThresholdLimit : INamedSetting
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

    /// <summary>The unit of the limit and of its measured value, as reports print it ("s", "msg/s", "bytes"; empty for a ratio).</summary>
    public string Unit { get; init; } = string.Empty;

    /// <summary>The .NET number format reports print the limit with (null: as it is).</summary>
    public string? NumberFormat { get; init; }

    public LimitDirection Direction { get; init; } = LimitDirection.Setting;

    /// <summary>Whether the limit applies at the run's latency percentile (reports say "at p99").</summary>
    public bool AtPercentile { get; init; }

    public LimitScope Scope { get; init; } = LimitScope.Always;

    /// <summary>The <see cref="ViolationCode"/> of a crossing; null for a setting.</summary>
    public string? Code { get; init; }

    /// <summary>The measured value in the limit's unit, read from a result; null when the run measured nothing to judge.</summary>
    internal Func<RapidScenarioResult, RapidThresholds, double?> Measured { get; init; } = (_, _) => null;

    /// <summary>The result property the value comes from ("Latency.P99", "ThroughputPerSec").</summary>
    internal Func<RapidThresholds, string> Measure { get; init; } = _ => string.Empty;

    /// <summary>The violation's sentence: the result, the limits, the measured value and where the limit came from ("from Parameter").</summary>
    internal Func<RapidScenarioResult, RapidThresholds, double, string, string> Sentence { get; init; } = (_, _, _, _) => string.Empty;

    public bool IsValid(double value) => !double.IsNaN(value) && !double.IsInfinity(value) && _valid(value);

    /// <summary>What <paramref name="result"/> measured for this limit (in <see cref="Unit"/>), or null when it measured nothing to judge.</summary>
    public double? MeasuredValue(RapidScenarioResult result, RapidThresholds thresholds) =>
        result is null || thresholds is null ? null : Measured(result, thresholds);

    /// <summary>The name of what this limit measures, as a violation's Measure names it.</summary>
    public string MeasureName(RapidThresholds thresholds) => Measure(thresholds);

    /// <summary>Whether <paramref name="measured"/> is over a Max limit of <paramref name="limit"/> or under a Min one.</summary>
    public bool IsCrossed(double measured, double limit) => Direction switch
    {
        LimitDirection.Max => measured > limit,
        LimitDirection.Min => measured < limit,
        _ => false,
    };

    /// <summary>Whether a run of a scenario judged by <paramref name="judging"/> is judged by this limit when the caller did not name it (null: a scenario this version does not know).</summary>
    public bool Applies(ScenarioJudging? judging) => Scope switch
    {
        LimitScope.LatencyScenarios => judging?.ChecksLatency ?? true,
        LimitScope.ThroughputScenarios => judging?.ChecksThroughput ?? false,
        _ => true,
    };

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

    /// <summary>Every limit, in the order they are shown: a new limit is an entry here, its cmdlet parameter and its help.</summary>
    public static IReadOnlyList<ThresholdLimit> Limits { get; } =
    [
        new(nameof(RapidThresholds.MaxLatency), MaxLatencyVariable, RapidThresholds.DefaultMaxLatency, "seconds, more than 0", v => v > 0, t => t.MaxLatency, (t, v) => t.MaxLatency = v)
        {
            Unit = "s", Direction = LimitDirection.Max, AtPercentile = true, Scope = LimitScope.LatencyScenarios, Code = ViolationCode.Latency,
            Measured = (r, t) => r.Latency is { Count: > 0 } l ? l.AtPercentile(t.LatencyPercentile) / 1000.0 : null,
            Measure = t => "Latency.P" + Number(t.LatencyPercentile),
            Sentence = (_, t, v, from) => Invariant($"latency p{t.LatencyPercentile} was {FormatValue(v)} s, over the limit of {FormatValue(t.MaxLatency)} s (MaxLatency, {from})."),
        },
        new(nameof(RapidThresholds.LatencyPercentile), null, RapidThresholds.DefaultLatencyPercentile, "one of 50, 90, 99, 99.9, 100", v => v is 50 or 90 or 99 or 99.9 or 100, t => t.LatencyPercentile, (t, v) => t.LatencyPercentile = v),
        new(nameof(RapidThresholds.MinThroughput), MinThroughputVariable, RapidThresholds.DefaultMinThroughput, "messages per second, 0 or more", v => v >= 0, t => t.MinThroughput, (t, v) => t.MinThroughput = v)
        {
            Unit = "msg/s", Direction = LimitDirection.Min, Scope = LimitScope.ThroughputScenarios, Code = ViolationCode.Throughput,
            Measured = (r, _) => r.ThroughputPerSec,
            Measure = _ => nameof(RapidScenarioResult.ThroughputPerSec),
            Sentence = (_, t, v, from) => Invariant($"throughput was {v:0.#} msg/s, under the limit of {FormatValue(t.MinThroughput)} msg/s (MinThroughput, {from})."),
        },
        new(nameof(RapidThresholds.MinDeliveryRatio), MinDeliveryRatioVariable, RapidThresholds.DefaultMinDeliveryRatio, "a ratio between 0 and 1", v => v is >= 0 and <= 1, t => t.MinDeliveryRatio, (t, v) => t.MinDeliveryRatio = v)
        {
            Direction = LimitDirection.Min, Code = ViolationCode.DeliveryRatio,
            Measured = (r, _) => r.DeliveryRatio,
            Measure = _ => nameof(RapidScenarioResult.DeliveryRatio),
            Sentence = (r, t, v, from) => Invariant($"delivery ratio was {v:0.####}{DeliveryFigures.Detail(r.Delivered, r.Distinct, r.Rejected, r.RejectionsExpected)}, under the limit of {FormatValue(t.MinDeliveryRatio)} (MinDeliveryRatio, {from})."),
        },
        new(nameof(RapidThresholds.MaxMemoryGrowth), MaxMemoryGrowthVariable, RapidThresholds.DefaultMaxMemoryGrowth, "a number of bytes, 0 or more", v => v >= 0, t => t.MaxMemoryGrowth, (t, v) => t.MaxMemoryGrowth = v)
        {
            Unit = "bytes", NumberFormat = "0", Direction = LimitDirection.Max, Code = ViolationCode.MemoryGrowth,
            Measured = (r, _) => r.MemoryGrowthBytes,
            Measure = _ => nameof(RapidScenarioResult.MemoryGrowthBytes),
            Sentence = (_, t, v, from) => Invariant($"client memory grew {v / 1048576.0:0.##} MiB, over the limit of {FormatValue(t.MaxMemoryGrowth / 1048576.0)} MiB (MaxMemoryGrowth, {from})."),
        },
        new(nameof(RapidThresholds.MaxFirstChunkLatency), MaxFirstChunkLatencyVariable, RapidThresholds.DefaultMaxFirstChunkLatency, "seconds, more than 0", v => v > 0, t => t.MaxFirstChunkLatency, (t, v) => t.MaxFirstChunkLatency = v)
        {
            Unit = "s", Direction = LimitDirection.Max, AtPercentile = true, Scope = LimitScope.LatencyScenarios, Code = ViolationCode.FirstChunkLatency,
            Measured = (r, t) => r.FirstChunkLatency is { Count: > 0 } l ? l.AtPercentile(t.LatencyPercentile) / 1000.0 : null,
            Measure = t => "FirstChunkLatency.P" + Number(t.LatencyPercentile),
            Sentence = (_, t, v, from) => Invariant($"time to first chunk p{t.LatencyPercentile} was {v:0.####} s, over the limit of {FormatValue(t.MaxFirstChunkLatency)} s (MaxFirstChunkLatency, {from})."),
        },
        new(nameof(RapidThresholds.MaxChunkGap), MaxChunkGapVariable, RapidThresholds.DefaultMaxChunkGap, "seconds, more than 0", v => v > 0, t => t.MaxChunkGap, (t, v) => t.MaxChunkGap = v)
        {
            Unit = "s", Direction = LimitDirection.Max, Code = ViolationCode.ChunkGap,
            Measured = (r, _) => r.ChunkGap is { Count: > 0 } g ? g.Max / 1000.0 : null,
            Measure = _ => "ChunkGap.Max",
            Sentence = (r, t, v, from) => Invariant($"a stream stalled: the longest gap between two chunks was {v:0.####} s, over the limit of {FormatValue(t.MaxChunkGap)} s (MaxChunkGap, {from}); p99 gap {(r.ChunkGap?.P99 ?? 0) / 1000.0:0.####} s."),
        },
    ];

    /// <summary>The limits a run is judged by (every entry but settings such as the latency percentile).</summary>
    public static IEnumerable<ThresholdLimit> Judged => Limits.Where(l => l.Direction != LimitDirection.Setting);

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
        var result = new RapidThresholds();
        foreach (var (limit, value, source) in SettingTable.Resolve(Limits, "-Threshold", parameters, table, getEnv, warnings))
        {
            limit.Apply(result, value);
            result.Sources[limit.Name] = source;
        }

        return result;
    }

    /// <summary>A limit's value as people read it: up to 6 significant digits, never rounded to 0.</summary>
    public static string FormatValue(double value) =>
        value >= 1e15 ? value.ToString("0.###e+0", CultureInfo.InvariantCulture) : value.ToString("G6", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string Number(double value) => value.ToString(CultureInfo.InvariantCulture);
}
