using System;
using RapidMessageTools.Metrics;

namespace RapidMessageTools.Results;

/// <summary>
/// What one scenario run found. Plain property types, so it round-trips through Export-Clixml and
/// ConvertTo-Json; <see cref="Passed"/> and <see cref="Violations"/> read well in Pester:
/// <c>$r.Passed | Should -BeTrue -Because ($r.Violations -join '; ')</c>.
/// </summary>
public sealed class RapidScenarioResult
{
    public string Scenario { get; set; } = string.Empty;

    /// <summary>Passed, Failed, Inconclusive (the run proved nothing) or Interrupted (Ctrl+C, partial figures).</summary>
    public RapidOutcome Outcome { get; set; }

    /// <summary>True only when <see cref="Outcome"/> is Passed.</summary>
    public bool Passed { get; set; }

    public RapidViolation[] Violations { get; set; } = [];

    /// <summary>User messages sent (repeats of a message_id included).</summary>
    public long Sent { get; set; }

    /// <summary>Distinct messages (message_ids) sent: <see cref="Sent"/> without the scenario's deliberate repeats.</summary>
    public long Distinct { get; set; }

    /// <summary>Distinct messages the server took in: <see cref="Distinct"/> − <see cref="Rejected"/>.</summary>
    public long Accepted { get; set; }

    /// <summary>Distinct messages answered with an ai_response.</summary>
    public long Delivered { get; set; }

    /// <summary>Messages refused with queue_full (or another error frame).</summary>
    public long Rejected { get; set; }

    /// <summary>Messages neither answered nor rejected by the end of the run.</summary>
    public long Lost { get; set; }

    /// <summary>Replies beyond the first for one message that were not marked duplicate.</summary>
    public long Duplicates { get; set; }

    public long OutOfOrder { get; set; }

    /// <summary>
    /// Delivered / Distinct: a rejection is a failure to deliver. QueueOverflow, which provokes rejections on
    /// purpose, divides by Accepted instead (<see cref="RejectionsExpected"/>).
    /// </summary>
    public double DeliveryRatio { get; set; }

    /// <summary>True for a scenario that provokes queue_full on purpose: its delivery ratio is over accepted messages.</summary>
    public bool RejectionsExpected { get; set; }

    public double ThroughputPerSec { get; set; }

    /// <summary>From send (or intended send, at a fixed rate) to the correlated reply, milliseconds.</summary>
    public RapidLatencySummary Latency { get; set; } = new();

    /// <summary>At a fixed rate: from the actual send to the reply (service time), milliseconds. Else equal to <see cref="Latency"/>.</summary>
    public RapidLatencySummary ServiceLatency { get; set; } = new();

    /// <summary>Client managed-heap growth over the run, bytes.</summary>
    public long MemoryGrowthBytes { get; set; }

    /// <summary>Server RSS growth from agent_state memory_usage, when the server reports it.</summary>
    public long? ServerMemoryGrowthBytes { get; set; }

    public long ConnectionDrops { get; set; }

    /// <summary>Seconds the run took.</summary>
    public double Duration { get; set; }

    /// <summary>The latency histogram (microseconds), mergeable exactly.</summary>
    public RapidHistogram Histogram { get; set; } = new();

    public RapidHistogram ServiceHistogram { get; set; } = new();

    /// <summary>Streamed replies: from send (or intended send, at a fixed rate) to the first chunk, milliseconds. Null when no reply streamed.</summary>
    public RapidLatencySummary? FirstChunkLatency { get; set; }

    /// <summary>Streamed replies: time between consecutive chunks of one reply, milliseconds. Null when no reply streamed.</summary>
    public RapidLatencySummary? ChunkGap { get; set; }

    /// <summary>The time-to-first-chunk histogram (microseconds), mergeable exactly; null when no reply streamed.</summary>
    public RapidHistogram? FirstChunkHistogram { get; set; }

    /// <summary>The chunk-gap histogram (microseconds), mergeable exactly; null when no reply streamed.</summary>
    public RapidHistogram? ChunkGapHistogram { get; set; }

    /// <summary>ai_response_chunk frames received for this run's messages.</summary>
    public long ChunksDelivered { get; set; }

    /// <summary>Streamed replies that ended with their final frame.</summary>
    public long StreamsCompleted { get; set; }

    /// <summary>Streamed replies with chunks but no final frame by the end of the run.</summary>
    public long StreamsCut { get; set; }

    /// <summary>Streamed replies that ended with a final marked cancelled.</summary>
    public long StreamsCancelled { get; set; }

    /// <summary>The run interval by interval (sent, delivered, rejected, lost, errors, connections, rates, latency); empty with -TimelineInterval 0.</summary>
    public RapidTimelineEntry[] Timeline { get; set; } = [];

    /// <summary>Seconds per <see cref="Timeline"/> entry; 0 when no timeline was recorded.</summary>
    public double TimelineInterval { get; set; }

    /// <summary>QueueOverflow only: whether the run saw queue_full at all. Null for other scenarios.</summary>
    public bool? OverflowProvoked { get; set; }

    /// <summary>Fixed-rate runs: sends that left later than their intended time (a saturated generator).</summary>
    public long LateSends { get; set; }

    /// <summary>
    /// At an arrival rate: more than 0.1 % of sends left over 5 ms after their intended time, so the generator
    /// (this process) could not keep the rate and its own delay is in the latency. Spread the load over more
    /// processes or machines (-Shard), or lower the rate per process.
    /// </summary>
    public bool GeneratorFellBehind { get; set; }

    /// <summary>Frames that matched no request, and frames that did not decode.</summary>
    public long UnmatchedFrames { get; set; }

    /// <summary>The protocol profile the run spoke (Rapid, the built-in protocol, unless -Protocol said otherwise).</summary>
    public string Protocol { get; set; } = "Rapid";

    /// <summary>Frames of wire types the profile does not map (welcome, presence, typing...), by wire type: counted, otherwise ignored.</summary>
    public System.Collections.Generic.Dictionary<string, long> UnmappedFrames { get; set; } = new(StringComparer.Ordinal);

    public long MalformedFrames { get; set; }

    /// <summary>Close codes and reasons of unexpected closes.</summary>
    public string[] CloseReasons { get; set; } = [];

    /// <summary>Facts worth knowing that are not failures.</summary>
    public string[] Notes { get; set; } = [];

    public string Url { get; set; } = string.Empty;

    public string RunId { get; set; } = string.Empty;

    /// <summary>"1/1" or, for a sharded run, "i/n".</summary>
    public string Shard { get; set; } = "1/1";

    public DateTime StartTime { get; set; }

    /// <summary>When the first message was (or was meant to be) sent; with <see cref="WindowEnd"/>, the window throughput is measured over.</summary>
    public DateTime WindowStart { get; set; }

    /// <summary>When the last reply or rejection arrived.</summary>
    public DateTime WindowEnd { get; set; }

    /// <summary>Size parameters the scenario ran with (MessageCount, Connections, Users, BurstSize, Rate, Duration...).</summary>
    public RapidScenarioParameters Parameters { get; set; } = new();

    public RapidThresholds Thresholds { get; set; } = new();

    /// <summary>The settings the run resolved (URLs, mode and where each came from).</summary>
    public object? Settings { get; set; }

    /// <summary>Machine and runtime the run happened on.</summary>
    public string Machine { get; set; } = string.Empty;

    public override string ToString() =>
        FormattableString.Invariant($"{Scenario}: {Outcome} {Delivered}/{Distinct} delivered ({Sent} sent, {Rejected} rejected), {ThroughputPerSec:0} msg/s, p99 {Latency?.P99} ms");
}
