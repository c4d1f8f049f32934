using System.Collections.Generic;
using System.Text;
using System.Text.Json;
using RapidMessageTools.Buffers;
using RapidMessageTools.Metrics;
using RapidMessageTools.Results;

namespace RapidMessageTools.Reporting;

/// <summary>The results as JSON, histograms included (they merge exactly with Merge-RapidResult after ConvertFrom-Json).</summary>
public static class JsonReportWriter
{
    public static string Write(IReadOnlyList<RapidScenarioResult> results)
    {
        using var buffer = new PooledBufferWriter();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (var r in results)
            {
                WriteResult(w, r);
            }

            w.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan.ToArray());
    }

    private static void WriteResult(Utf8JsonWriter w, RapidScenarioResult r)
    {
        w.WriteStartObject();
        w.WriteString("Scenario", r.Scenario);
        w.WriteBoolean("Passed", r.Passed);
        w.WriteStartArray("Violations");
        foreach (var v in r.Violations)
        {
            w.WriteStartObject();
            w.WriteString("Code", v.Code);
            w.WriteString("Message", v.Message);
            WriteNullableString(w, "Measure", v.Measure);
            WriteNullable(w, "Limit", v.Limit);
            WriteNullable(w, "Value", v.Value);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteNumber("Sent", r.Sent);
        w.WriteNumber("Delivered", r.Delivered);
        w.WriteNumber("Rejected", r.Rejected);
        w.WriteNumber("Lost", r.Lost);
        w.WriteNumber("Duplicates", r.Duplicates);
        w.WriteNumber("OutOfOrder", r.OutOfOrder);
        w.WriteNumber("DeliveryRatio", r.DeliveryRatio);
        w.WriteNumber("ThroughputPerSec", r.ThroughputPerSec);
        WriteLatency(w, "Latency", r.Latency);
        WriteLatency(w, "ServiceLatency", r.ServiceLatency);
        w.WriteNumber("MemoryGrowthBytes", r.MemoryGrowthBytes);
        WriteNullable(w, "ServerMemoryGrowthBytes", r.ServerMemoryGrowthBytes);
        w.WriteNumber("ConnectionDrops", r.ConnectionDrops);
        w.WriteNumber("Duration", r.Duration);
        WriteHistogram(w, "Histogram", r.Histogram);
        WriteHistogram(w, "ServiceHistogram", r.ServiceHistogram);
        WriteStreams(w, r);
        WriteTimeline(w, r);
        if (r.OverflowProvoked is bool provoked)
        {
            w.WriteBoolean("OverflowProvoked", provoked);
        }
        else
        {
            w.WriteNull("OverflowProvoked");
        }

        w.WriteNumber("LateSends", r.LateSends);
        w.WriteNumber("UnmatchedFrames", r.UnmatchedFrames);
        w.WriteNumber("MalformedFrames", r.MalformedFrames);
        WriteStrings(w, "CloseReasons", r.CloseReasons);
        WriteStrings(w, "Notes", r.Notes);
        w.WriteString("Url", r.Url);
        w.WriteString("RunId", r.RunId);
        w.WriteString("Shard", r.Shard);
        w.WriteString("StartTime", r.StartTime.ToUniversalTime());
        w.WriteString("WindowStart", r.WindowStart.ToUniversalTime());
        w.WriteString("WindowEnd", r.WindowEnd.ToUniversalTime());
        w.WriteStartObject("Parameters");
        var p = r.Parameters ?? new RapidScenarioParameters();
        w.WriteNumber("MessageCount", p.MessageCount);
        w.WriteNumber("Connections", p.Connections);
        w.WriteNumber("Users", p.Users);
        w.WriteNumber("BurstSize", p.BurstSize);
        w.WriteNumber("Bursts", p.Bursts);
        w.WriteNumber("Agents", p.Agents);
        w.WriteNumber("Rate", p.Rate);
        w.WriteNumber("Duration", p.Duration);
        w.WriteNumber("TimeoutSec", p.TimeoutSec);
        w.WriteNumber("MaxInFlight", p.MaxInFlight);
        WriteLoadShape(w, p);
        w.WriteEndObject();
        w.WriteStartObject("Thresholds");
        var t = r.Thresholds ?? new RapidThresholds();
        foreach (var limit in ThresholdResolver.Limits)
        {
            w.WriteNumber(limit.Name, t.Value(limit.Name));
        }

        w.WriteEndObject();
        WriteNullableString(w, "Settings", r.Settings?.ToString());
        w.WriteString("Machine", r.Machine);
        w.WriteEndObject();
    }

    /// <summary>The streamed replies' figures; the summaries and histograms are null when no reply streamed.</summary>
    private static void WriteStreams(Utf8JsonWriter w, RapidScenarioResult r)
    {
        if (r.FirstChunkLatency is null)
        {
            w.WriteNull("FirstChunkLatency");
            w.WriteNull("ChunkGap");
            w.WriteNull("FirstChunkHistogram");
            w.WriteNull("ChunkGapHistogram");
        }
        else
        {
            WriteLatency(w, "FirstChunkLatency", r.FirstChunkLatency);
            WriteLatency(w, "ChunkGap", r.ChunkGap);
            WriteHistogram(w, "FirstChunkHistogram", r.FirstChunkHistogram);
            WriteHistogram(w, "ChunkGapHistogram", r.ChunkGapHistogram);
        }

        w.WriteNumber("ChunksDelivered", r.ChunksDelivered);
        w.WriteNumber("StreamsCompleted", r.StreamsCompleted);
        w.WriteNumber("StreamsCut", r.StreamsCut);
        w.WriteNumber("StreamsCancelled", r.StreamsCancelled);
    }

    /// <summary>The timeline, one object per interval, its histogram included so a reader can merge it exactly.</summary>
    private static void WriteTimeline(Utf8JsonWriter w, RapidScenarioResult r)
    {
        w.WriteNumber("TimelineInterval", r.TimelineInterval);
        w.WriteStartArray("Timeline");
        foreach (var e in r.Timeline ?? [])
        {
            w.WriteStartObject();
            w.WriteString("Start", e.Start.ToUniversalTime());
            w.WriteNumber("Elapsed", e.Elapsed);
            w.WriteNumber("Seconds", e.Seconds);
            w.WriteNumber("Stage", e.Stage);
            w.WriteNumber("Sent", e.Sent);
            w.WriteNumber("Intended", e.Intended);
            w.WriteNumber("LateSends", e.LateSends);
            w.WriteNumber("Delivered", e.Delivered);
            w.WriteNumber("Rejected", e.Rejected);
            w.WriteNumber("Lost", e.Lost);
            w.WriteNumber("Errors", e.Errors);
            w.WriteNumber("Connections", e.Connections);
            w.WriteNumber("IntendedRate", e.IntendedRate);
            w.WriteNumber("SendRate", e.SendRate);
            w.WriteNumber("DeliveredRate", e.DeliveredRate);
            w.WriteNumber("P50", e.P50);
            w.WriteNumber("P90", e.P90);
            w.WriteNumber("P99", e.P99);
            w.WriteNumber("Max", e.Max);
            w.WriteString("EncodedHistogram", e.EncodedHistogram ?? string.Empty);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteLoadShape(Utf8JsonWriter w, RapidScenarioParameters p)
    {
        w.WriteStartArray("Stages");
        foreach (var s in p.Stages ?? [])
        {
            w.WriteStartObject();
            w.WriteNumber("Duration", s.Duration);
            w.WriteNumber("StartRate", s.StartRate);
            w.WriteNumber("EndRate", s.EndRate);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteString("Arrival", p.Arrival.ToString());
        w.WriteNumber("Seed", p.Seed);
    }

    private static void WriteLatency(Utf8JsonWriter w, string name, RapidLatencySummary? s)
    {
        s ??= new RapidLatencySummary();
        w.WriteStartObject(name);
        w.WriteNumber("Count", s.Count);
        w.WriteNumber("P50", s.P50);
        w.WriteNumber("P90", s.P90);
        w.WriteNumber("P99", s.P99);
        w.WriteNumber("P999", s.P999);
        w.WriteNumber("Max", s.Max);
        w.WriteNumber("Mean", s.Mean);
        w.WriteEndObject();
    }

    private static void WriteHistogram(Utf8JsonWriter w, string name, RapidHistogram? h)
    {
        h ??= new RapidHistogram();
        w.WriteStartObject(name);
        w.WriteString("Encoded", h.Encoded);
        w.WriteNumber("TotalCount", h.TotalCount);
        w.WriteString("Unit", h.Unit);
        w.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, string[]? values)
    {
        w.WriteStartArray(name);
        foreach (var v in values ?? [])
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, double? value)
    {
        if (value is double d)
        {
            w.WriteNumber(name, d);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, long? value)
    {
        if (value is long l)
        {
            w.WriteNumber(name, l);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void WriteNullableString(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }
}
