using System;
using RapidMessageTools.Load;
using RapidMessageTools.Results;

namespace RapidMessageTools.Capacity;

/// <summary>What ended a step of a capacity search (None: the step held).</summary>
public enum CapacityLimit
{
    None,

    /// <summary>The latency at the chosen percentile went over MaxLatency.</summary>
    Latency,

    /// <summary>Messages were lost (no reply and no rejection), or the delivery ratio fell under its minimum.</summary>
    Delivery,

    /// <summary>The backend refused messages (queue_full or another error naming them).</summary>
    Rejections,

    /// <summary>Errors other than those: connections ending, replies out of order or duplicated, error frames.</summary>
    Errors,

    /// <summary>The load generator (this client) fell behind its schedule: the backend was not the limit.</summary>
    Generator,

    /// <summary>The backend delivered less than was sent while the load ran: a backlog grew through the step, whatever its length.</summary>
    Backlog,
}

/// <summary>One rate tried by a capacity search.</summary>
public sealed class RapidCapacityStep
{
    public int Step { get; set; }

    /// <summary>"grow" (doubling until a limit breaks) or "narrow" (bisecting between held and broken).</summary>
    public string Phase { get; set; } = string.Empty;

    /// <summary>The arrival rate asked for, msg/s.</summary>
    public double Rate { get; set; }

    public bool Held { get; set; }

    public CapacityLimit BrokenBy { get; set; }

    /// <summary>Why it broke, in words; empty when it held.</summary>
    public string Reason { get; set; } = string.Empty;

    public long Sent { get; set; }

    public long Delivered { get; set; }

    public long Rejected { get; set; }

    public long Lost { get; set; }

    public long LateSends { get; set; }

    /// <summary>Replies per second over the step.</summary>
    public double ThroughputPerSec { get; set; }

    /// <summary>Latency at the search's percentile, ms, from the intended send.</summary>
    public double LatencyMs { get; set; }

    /// <summary>Latency at the search's percentile, ms, from the actual send (what the backend alone took).</summary>
    public double ServiceLatencyMs { get; set; }

    /// <summary>The step's whole result (with its timeline).</summary>
    public RapidScenarioResult? Result { get; set; }

    public override string ToString() =>
        FormattableString.Invariant($"{Rate} msg/s: {(Held ? "held" : "broke (" + BrokenBy + ")")}");
}

/// <summary>
/// What Find-RapidCapacity found: the highest arrival rate that held every limit, the first rate that broke one
/// and why, and every step. When <see cref="GeneratorLimited"/> is true the backend never broke: the client
/// could not send faster, so the capacity is at least <see cref="HighestHeldRate"/>.
/// </summary>
public sealed class RapidCapacityResult
{
    public string Scenario { get; set; } = string.Empty;

    /// <summary>The protocol profile the search spoke (Rapid, the built-in protocol, unless -Protocol said otherwise).</summary>
    public string Protocol { get; set; } = "Rapid";

    public string Url { get; set; } = string.Empty;

    /// <summary>The highest rate (msg/s) at which every limit held; 0 when none did.</summary>
    public double HighestHeldRate { get; set; }

    /// <summary>The lowest rate (msg/s) that broke a limit; null when every rate up to MaxRate held.</summary>
    public double? FirstBrokenRate { get; set; }

    /// <summary>The limit that broke at <see cref="FirstBrokenRate"/>.</summary>
    public CapacityLimit BrokenBy { get; set; }

    /// <summary>Why, in words: the measure, its limit and the value seen.</summary>
    public string Reason { get; set; } = string.Empty;

    /// <summary>True when the search stopped because this client could not send faster (the backend held).</summary>
    public bool GeneratorLimited { get; set; }

    /// <summary>Seconds the search took.</summary>
    public double Duration { get; set; }

    public RapidCapacityStep[] Steps { get; set; } = [];

    /// <summary>False only when -Baseline found a regression (a search that finds a capacity is not a failure by itself).</summary>
    public bool Passed { get; set; } = true;

    /// <summary>Regressions against -Baseline (code Regression), each naming the metric and both values; empty without one.</summary>
    public RapidViolation[] Violations { get; set; } = [];

    /// <summary>The limits a step had to hold.</summary>
    public RapidThresholds Limits { get; set; } = new();

    /// <summary>Seconds each step sent for.</summary>
    public double StepDuration { get; set; }

    /// <summary>Connections (Benchmark) or users (MultiUser) the load was spread over.</summary>
    public int Connections { get; set; }

    public RapidArrival Arrival { get; set; }

    public DateTime StartTime { get; set; }

    public string Machine { get; set; } = string.Empty;

    public override string ToString() => GeneratorLimited
        ? FormattableString.Invariant($"{Scenario}: held {HighestHeldRate} msg/s; the generator could not go faster")
        : FormattableString.Invariant($"{Scenario}: held {HighestHeldRate} msg/s, broke at {FirstBrokenRate} msg/s ({BrokenBy})");
}
