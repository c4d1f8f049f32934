using System.Collections.Generic;
using System;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Client;
using RapidMessageTools.Results;
using RapidMessageTools.Protocol;

namespace RapidMessageTools.Scenarios;

/// <summary>
/// Throughput, latency and memory at a set size over several connections, or at a fixed arrival rate
/// (latency from the intended send time). Fails only on thresholds (and lost or mangled replies).
/// </summary>
internal sealed class BenchmarkScenario : IRapidScenario, IStagedScenario, IConnectionCount
{
    public string Name => "Benchmark";

    public string Description => "Throughput, latency and memory at a set size over several connections, or at a fixed arrival rate.";

    public string FailsWhen => "a threshold is crossed (latency, throughput, delivery ratio, memory growth)";

    public RapidScenarioParameters Defaults { get; } = new() { MessageCount = 5000, Connections = 4, TimeoutSec = 10 };

    public bool ChecksThroughput => true;

    public bool ChecksLatency => true;


    public bool RejectionsExpected => false;


    public IReadOnlyList<string> Needs { get; } = [];


    public string? ChecksById => null;

    public int ConnectionsNeeded(RapidScenarioParameters parameters) => Math.Max(1, parameters.Connections);

    public async Task<ScenarioMeasurements> RunAsync(ScenarioContext context, ScenarioRecorder recorder, MessageSender sender, CancellationToken cancellationToken)
    {
        var p = context.Parameters;
        var total = ShardShare(p.MessageCount, context.ShardIndex, context.ShardCount);
        var count = Math.Max(1, p.Connections);
        var connections = new RapidConnection[count];
        for (var c = 0; c < count; c++)
        {
            connections[c] = await recorder.ConnectAsync("bench" + c.ToString(CultureInfo.InvariantCulture), null, cancellationToken).ConfigureAwait(false);
        }

        await sender.LimitToQueueAsync(connections, context.AgentId("bench0"), cancellationToken).ConfigureAwait(false);
        var rssStart = await recorder.SampleServerRssAsync(connections[0], cancellationToken).ConfigureAwait(false);
        var plan = sender.PlanLoad();
        context.Progress.ExpectedMessages = plan is { IsTimed: true } ? 0 : total;
        context.Progress.Phase = plan is null ? "sending" : "sending " + plan.Describe();
        context.Log.Verbose(plan is null
            ? $"Benchmark: {total} messages over {count} connections (shard {context.ShardIndex}/{context.ShardCount})."
            : $"Benchmark: {(plan.IsTimed ? string.Empty : p.MessageCount.ToString(CultureInfo.InvariantCulture) + " messages, ")}{plan.Describe()} over {count} connections (shard {context.ShardIndex}/{context.ShardCount}).");
        string Prefix(int i) => context.RunId + "-s" + context.ShardIndex.ToString(CultureInfo.InvariantCulture) + "-b" + i.ToString(CultureInfo.InvariantCulture);
        string Agent(int i) => context.AgentId("bench" + i.ToString(CultureInfo.InvariantCulture));
        if (plan is null)
        {
            await Task.WhenAll(connections.Select((c, i) =>
                sender.SendStreamAsync(c, Agent(i), Prefix(i), ShardShare(total, i + 1, count), 0, cancellationToken))).ConfigureAwait(false);
        }
        else
        {
            await Task.WhenAll(connections.Select((c, i) =>
                sender.SendPlannedAsync(c, Agent(i), Prefix(i), plan.Stream(i, count, totalMessages: p.MessageCount), cancellationToken))).ConfigureAwait(false);
        }

        await recorder.WaitForRepliesAsync(cancellationToken).ConfigureAwait(false);
        var rssEnd = await recorder.SampleServerRssAsync(connections[0], cancellationToken).ConfigureAwait(false);
        recorder.CheckDelivery();
        recorder.CheckUnexpectedCloses();

        return new ScenarioMeasurements { ServerRssStart = rssStart, ServerRssEnd = rssEnd };
    }

    /// <summary>The part of <paramref name="total"/> that share <paramref name="index"/> of <paramref name="count"/> takes (remainder to the first shares).</summary>
    internal static int ShardShare(int total, int index, int count) =>
        (total / count) + (index <= total % count ? 1 : 0);
}
