using System.Collections.Generic;
using System;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Results;
using RapidMessageTools.Protocol;

namespace RapidMessageTools.Scenarios;

/// <summary>
/// Rapid messages to several agents whose replies stream: every stream must come whole, in order, once,
/// agree with its final frame, end with that final, send nothing after it, and never stall past MaxChunkGap.
/// </summary>
internal sealed class StreamingScenario : IRapidScenario
{
    public string Name => "Streaming";

    public string Description => "Rapid messages to several agents on one connection, each reply streamed as chunks then a final frame.";

    public string FailsWhen => "a stream is incomplete, reordered, duplicated, disagrees with its final frame, stalls past MaxChunkGap, goes on after its final frame, or never ends";

    public RapidScenarioParameters Defaults { get; } = new() { MessageCount = 60, Agents = 3, Connections = 1, TimeoutSec = 10 };

    public bool ChecksThroughput => false;

    /// <summary>Back-to-back messages queue behind each other's streams, so latency and time to first chunk measure queueing; judged only when set explicitly (or use Benchmark at a fixed -Rate).</summary>
    public bool ChecksLatency => false;

    public bool RejectionsExpected => false;

    public IReadOnlyList<string> Needs { get; } = [MessageType.AiResponseChunk];

    public string? ChecksById => null;

    public async Task<ScenarioMeasurements> RunAsync(ScenarioContext context, ScenarioRecorder recorder, MessageSender sender, CancellationToken cancellationToken)
    {
        var p = context.Parameters;
        var agents = Math.Max(1, p.Agents);
        var connection = await recorder.ConnectAsync("stream", null, cancellationToken).ConfigureAwait(false);
        await sender.LimitToQueueAsync([connection], context.AgentId("stream0"), cancellationToken).ConfigureAwait(false);
        context.Progress.Phase = "sending";
        context.Log.Verbose($"Streaming: {p.MessageCount} messages to {agents} agents on one connection{(p.Rate > 0 ? $" at {p.Rate} msg/s" : " back-to-back")}.");
        var rate = p.Rate > 0 ? p.Rate / agents : 0;
        await Task.WhenAll(Enumerable.Range(0, agents).Select(a =>
        {
            var key = "stream" + a.ToString(CultureInfo.InvariantCulture);
            return sender.SendStreamAsync(connection, context.AgentId(key), context.RunId + "-" + key, BenchmarkScenario.ShardShare(p.MessageCount, a + 1, agents), rate, cancellationToken);
        })).ConfigureAwait(false);
        await recorder.WaitForRepliesAsync(connection, cancellationToken).ConfigureAwait(false);
        recorder.CheckStreams();
        recorder.CheckDelivery();
        recorder.CheckUnexpectedCloses();
        CheckStreamed(recorder);

        return new ScenarioMeasurements();
    }

    /// <summary>A backend that answered without streaming proved nothing about streams.</summary>
    internal static void CheckStreamed(ScenarioRecorder recorder)
    {
        if (recorder.Ledger.Streams.Chunks == 0 && recorder.Ledger.Delivered > 0)
        {
            recorder.AddViolation(ViolationCode.NotProvoked, FormattableString.Invariant(
                $"none of {recorder.Ledger.Delivered} replies streamed (no ai_response_chunk came), so no stream was tested. Start the mock with -StreamChunks, or point at a backend that streams."));
        }
    }
}
