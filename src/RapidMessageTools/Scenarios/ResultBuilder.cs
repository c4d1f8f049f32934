using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Runtime.InteropServices;
using RapidMessageTools.Metrics;
using RapidMessageTools.Protocol;
using RapidMessageTools.Results;

namespace RapidMessageTools.Scenarios;

/// <summary>
/// Turns what a <see cref="ScenarioRecorder"/> saw into a <see cref="RapidScenarioResult"/>: the ledger's
/// figures, the delivery ratio, the limits judged, and the verdict.
/// </summary>
internal static class ResultBuilder
{
    public static RapidScenarioResult Build(IRapidScenario scenario, ScenarioContext context, ScenarioRecorder recorder, MessageSender sender, ScenarioMeasurements measured, DateTime start, double seconds, long memoryGrowth)
    {
        var ledger = recorder.Ledger;
        var lost = ledger.CloseOutstanding();
        var latency = ledger.Latency.Summarize();
        var distinct = ledger.Distinct;
        var accepted = distinct - ledger.Rejected;
        var ratio = DeliveryFigures.Ratio(ledger.Delivered, distinct, accepted, scenario.RejectionsExpected);
        var window = ledger.FirstSendTimestamp != 0 && ledger.LastAnswerTimestamp > ledger.FirstSendTimestamp
            ? (ledger.LastAnswerTimestamp - ledger.FirstSendTimestamp) / (double)Stopwatch.Frequency
            : 0;
        var throughput = window > 0 ? Math.Round(ledger.Delivered / window, 1) : 0;
        var windowStart = ledger.FirstSendTimestamp == 0 ? start : WallClock.At(ledger.FirstSendTimestamp);
        var windowEnd = ledger.LastAnswerTimestamp == 0 ? windowStart : WallClock.At(ledger.LastAnswerTimestamp);

        var result = new RapidScenarioResult
        {
            Scenario = scenario.Name,
            Sent = ledger.Sent,
            Distinct = distinct,
            Accepted = accepted,
            Delivered = ledger.Delivered,
            Rejected = ledger.Rejected,
            Lost = lost,
            Duplicates = ledger.DuplicateReplies,
            OutOfOrder = ledger.OutOfOrder,
            DeliveryRatio = ratio,
            RejectionsExpected = scenario.RejectionsExpected,
            ThroughputPerSec = throughput,
            Latency = latency,
            ServiceLatency = ledger.Service.Summarize(),
            Histogram = ledger.Latency.Export(),
            ServiceHistogram = ledger.Service.Export(),
            Timeline = ledger.Timeline?.ToEntries() ?? [],
            TimelineInterval = ledger.Timeline?.IntervalSeconds ?? 0,
            MemoryGrowthBytes = memoryGrowth,
            ServerMemoryGrowthBytes = measured.ServerRssStart is long a && measured.ServerRssEnd is long b ? b - a : null,
            ConnectionDrops = recorder.ConnectionDrops,
            Duration = Math.Round(seconds, 3),
            OverflowProvoked = measured.OverflowProvoked,
            LateSends = sender.LateSends,
            GeneratorFellBehind = GeneratorFellBehind(sender.LateSends, ledger.Sent),
            UnmatchedFrames = recorder.UnmatchedFrames,
            MalformedFrames = recorder.MalformedFrames(),
            CloseReasons = recorder.CloseReasons().ToArray(),
            Notes = recorder.Notes().Concat(LateNote(sender.LateSends)).ToArray(),
            Url = context.Url,
            RunId = context.RunId,
            Shard = context.ShardIndex.ToString(CultureInfo.InvariantCulture) + "/" + context.ShardCount.ToString(CultureInfo.InvariantCulture),
            StartTime = start,
            WindowStart = windowStart,
            WindowEnd = windowEnd,
            Parameters = context.Parameters.Clone(),
            Thresholds = context.Thresholds.Clone(),
            Machine = Machine,
            Protocol = context.Profile.Name,
            UnmappedFrames = context.Observations.UnmappedFrames().ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
        };
        StreamResults.Fill(result, ledger.Streams);
        Judge(result, scenario, context, recorder, seconds);
        return result;
    }

    /// <summary>The violations the recorder and the scenario found, then the limits (or why the run proved nothing), and the outcome they make.</summary>
    private static void Judge(RapidScenarioResult result, IRapidScenario scenario, ScenarioContext context, ScenarioRecorder recorder, double seconds)
    {
        var violations = new List<RapidViolation>(recorder.Violations);
        if (recorder.Interrupted)
        {
            violations.Add(new RapidViolation(ViolationCode.Interrupted, FormattableString.Invariant(
                $"stopped by the user after {seconds:0.0} s: the figures are partial ({result.Sent} sent, {result.Delivered} delivered).")));
        }
        else if (result.Distinct == 0 && violations.Count == 0)
        {
            violations.Add(new RapidViolation(ViolationCode.NotProvoked, "no message was sent, so the run proved nothing: give a -MessageCount, -Rate with -Duration, or -Stage that sends at least one message."));
        }
        else if (result.Distinct > 0)
        {
            violations.AddRange(context.Thresholds.Evaluate(result, new ScenarioJudging(scenario.ChecksLatency, scenario.ChecksThroughput)));
        }

        violations = JudgeProtocol(violations, scenario, context);
        result.Violations = violations.ToArray();
        result.Outcome = RapidOutcomes.Decide(violations, recorder.Interrupted);
        result.Passed = result.Outcome == RapidOutcome.Passed;
    }

    /// <summary>
    /// What the protocol profile lets the run say. Frames that did not match the profile are reported by key,
    /// and the findings they explain are dropped (replies it could not read look lost, counts it could not
    /// read look wrong): the backend was not judged on those. With replies matched by order, the checks a
    /// scenario makes by message id were not judged either.
    /// </summary>
    private static List<RapidViolation> JudgeProtocol(List<RapidViolation> violations, IRapidScenario scenario, ScenarioContext context)
    {
        var mismatches = context.Observations.Mismatches();
        if (mismatches.Count > 0)
        {
            var explained = new HashSet<string>(mismatches.SelectMany(m => ExplainedBy(m.Key)), StringComparer.Ordinal);
            violations = violations.Where(v => !explained.Contains(v.Code)).ToList();
            violations.AddRange(mismatches.Select(m => new RapidViolation(ViolationCode.ProtocolMismatch, FormattableString.Invariant(
                $"{m.Key}: {m.Problem} in {m.Count} of {m.Of} frames, so the backend was not judged on what those frames carry. Fix the profile {context.Profile.Name}; Test-RapidProtocol <profile> -Url <backend> shows which mappings match. First frame: {(m.Samples.Length > 0 ? m.Samples[0] : "(none)")}"))));
        }

        if (context.Profile.Correlation == Protocol.Profiles.ProfileCorrelation.Order)
        {
            // Matched by order, the ids of lost messages are not known: say how many, not which.
            violations = violations.Select(v => v.Code == ViolationCode.MissingReply && v.Message.IndexOf(" (e.g. ", StringComparison.Ordinal) is var at and > 0
                ? new RapidViolation(v.Code, v.Message.Substring(0, at) + " (which ones is not known: replies are matched by order).")
                : v).ToList();
        }

        if (context.Profile.Correlation == Protocol.Profiles.ProfileCorrelation.Order && scenario.ChecksById is { } byId && violations.All(v => v.Code != ViolationCode.ProtocolUnsupported))
        {
            violations.Add(new RapidViolation(ViolationCode.NeedsMessageIds,
                $"{scenario.Name} checks {byId} by message_id, but the profile {context.Profile.Name} matches replies by order (Correlation: Order), so that was not judged; delivery, loss and latency were."));
        }

        return violations;
    }

    /// <summary>The findings a message the client could not read may have caused, by the profile key of the mismatch (Messages.&lt;message&gt;.Fields.&lt;field&gt;).</summary>
    private static IEnumerable<string> ExplainedBy(string key) => key.Split('.') is { Length: > 1 } parts ? parts[1] switch
    {
        MessageType.AiResponse or MessageType.AiResponseChunk =>
        [
            ViolationCode.MissingReply, ViolationCode.DuplicateReply, ViolationCode.OutOfOrder, ViolationCode.UnexpectedReply, ViolationCode.ReplayNotMarked,
            ViolationCode.DuplicateProcessed, ViolationCode.SilentDrop, ViolationCode.NoRecovery, ViolationCode.DeliveryRatio, ViolationCode.Throughput,
            ViolationCode.Latency, ViolationCode.FirstChunkLatency, ViolationCode.ChunkGap, ViolationCode.StreamIncomplete, ViolationCode.ChunkOutOfOrder,
            ViolationCode.ChunkDuplicated, ViolationCode.StreamCut, ViolationCode.StreamFinalMismatch, ViolationCode.ChunkAfterFinal, ViolationCode.CancelIgnored,
            ViolationCode.CancelNotClosed, ViolationCode.NextNotServed, ViolationCode.NotProvoked, ViolationCode.Timeout,
        ],
        MessageType.Error => [ViolationCode.MissingReply, ViolationCode.SilentDrop, ViolationCode.DeliveryRatio, ViolationCode.NotProvoked, ViolationCode.ServerError, ViolationCode.NextNotServed],
        MessageType.AgentState or MessageType.StateUpdate =>
            [ViolationCode.StateMismatch, ViolationCode.StateCorrupted, ViolationCode.StaleView, ViolationCode.MissingStateUpdate, ViolationCode.StateLeak, ViolationCode.DuplicateProcessed, ViolationCode.Timeout],
        MessageType.QueueState => [ViolationCode.QueueOverCapacity, ViolationCode.NotProvoked, ViolationCode.Timeout],
        MessageType.Pong => [ViolationCode.PingUnanswered, ViolationCode.Timeout],
        _ => [],
    } : [];

    /// <summary>Machine and runtime, as results show them.</summary>
    public static string Machine { get; } =
        Environment.MachineName + " (" + RuntimeInformation.OSDescription.Trim() + ", " + RuntimeInformation.FrameworkDescription + ", " +
        Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture) + " cores)";

    /// <summary>The note every paced run gets when the generator could not keep its rate.</summary>
    private static IEnumerable<string> LateNote(long lateSends) => lateSends > 0
        ? [FormattableString.Invariant($"{lateSends} sends left more than 5 ms after their intended time: the generator could not keep the rate; latency still counts from the intended time.")]
        : [];

    /// <summary>Late sends over 0.1 % of all sends: the generator, not the backend, set part of the latency.</summary>
    internal static bool GeneratorFellBehind(long lateSends, long sent) => sent > 0 && lateSends * 1000 > sent;
}
