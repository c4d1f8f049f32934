using System;
using System.Globalization;

namespace RapidMessageTools.Metrics;

/// <summary>
/// One interval of a run's timeline. Sends count in the interval they left in, replies and rejections in the
/// interval they arrived in, lost messages in the interval they were meant to be sent in. Plain property
/// types, so a timeline round-trips through Export-Clixml and JSON; <see cref="Histogram"/> makes merging exact.
/// </summary>
public sealed class RapidTimelineEntry
{
    /// <summary>When the interval began (UTC); intervals are aligned on the wall clock, so shards' entries line up.</summary>
    public DateTime Start { get; set; }

    /// <summary>Seconds from the timeline's first interval to this one's start.</summary>
    public double Elapsed { get; set; }

    /// <summary>The interval's length, seconds.</summary>
    public double Seconds { get; set; }

    /// <summary>The load stage (1-based) under way in the middle of the interval; 0 when the run had no stages (or before its load began).</summary>
    public int Stage { get; set; }

    /// <summary>user_message frames that left in this interval.</summary>
    public long Sent { get; set; }

    /// <summary>Sends whose intended time fell in this interval (at a fixed rate; else equal to the sends).</summary>
    public long Intended { get; set; }

    /// <summary>Sends that left more than the late tolerance after their intended time.</summary>
    public long LateSends { get; set; }

    /// <summary>Messages whose first reply arrived in this interval.</summary>
    public long Delivered { get; set; }

    /// <summary>Messages refused (queue_full or another error naming them) in this interval.</summary>
    public long Rejected { get; set; }

    /// <summary>Messages meant to be sent in this interval that were never answered.</summary>
    public long Lost { get; set; }

    /// <summary>Error frames other than queue_full, and connections that ended unexpectedly, in this interval.</summary>
    public long Errors { get; set; }

    /// <summary>Most connections open at once during the interval.</summary>
    public int Connections { get; set; }

    /// <summary><see cref="Intended"/> per second.</summary>
    public double IntendedRate { get; set; }

    /// <summary><see cref="Sent"/> per second.</summary>
    public double SendRate { get; set; }

    /// <summary><see cref="Delivered"/> per second.</summary>
    public double DeliveredRate { get; set; }

    /// <summary>Latency of the replies that arrived in this interval, milliseconds (0 when none arrived).</summary>
    public double P50 { get; set; }

    public double P90 { get; set; }

    public double P99 { get; set; }

    public double Max { get; set; }

    /// <summary>
    /// The latencies of the replies that arrived in this interval (<see cref="Delivered"/> of them): base64 of HdrHistogram's
    /// compressed encoding, microseconds, as in <see cref="RapidHistogram.Encoded"/>; empty when none arrived. A string, so
    /// it survives Export-Clixml at its default depth; <see cref="ToHistogram"/> gives the mergeable histogram.
    /// </summary>
    public string EncodedHistogram { get; set; } = string.Empty;

    public RapidHistogram ToHistogram() => new(EncodedHistogram ?? string.Empty, string.IsNullOrEmpty(EncodedHistogram) ? 0 : Delivered);

    public override string ToString() =>
        string.Format(CultureInfo.InvariantCulture, "+{0:0.###} s: sent {1}, delivered {2}, rejected {3}, p99 {4} ms", Elapsed, Sent, Delivered, Rejected, P99);
}
