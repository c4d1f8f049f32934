using System;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Client;

namespace RapidMessageTools.Scenarios;

/// <summary>
/// Throughput, latency and memory at a set size over several connections, or at a fixed arrival rate
/// (latency from the intended send time). Fails only on thresholds (and lost or mangled replies).
/// </summary>
internal sealed class BenchmarkScenario : IRapidScenario
{
    public string Name => "Benchmark";

    public string Description => "Throughput, latency and memory at a set size over several connections, or at a fixed arrival rate.";

    public string FailsWhen => "a threshold is crossed (latency, throughput, delivery ratio, memory growth)";

    public RapidScenarioParameters Defaults { get; } = new() { MessageCount = 5000, Connections = 4, TimeoutSec = 10 };

    public bool ChecksThroughput => true;

    public bool ChecksLatency => true;

    public async Task RunAsync(ScenarioContext context, ScenarioRecorder recorder, CancellationToken cancellationToken)
    {
        var p = context.Parameters;
        var total = ShardShare(p.MessageCount, context.ShardIndex, context.ShardCount);
        var count = Math.Max(1, p.Connections);
        var connections = new RapidConnection[count];
        for (var c = 0; c < count; c++)
        {
            connections[c] = await recorder.ConnectAsync("bench" + c.ToString(CultureInfo.InvariantCulture), null, cancellationToken).ConfigureAwait(false);
        }

        await recorder.LimitToQueueAsync(connections, context.AgentId("bench0"), cancellationToken).ConfigureAwait(false);
        recorder.ServerRssStart = await recorder.SampleServerRssAsync(connections[0], cancellationToken).ConfigureAwait(false);
        context.Progress.Phase = p.Rate > 0 ? $"sending at {p.Rate} msg/s" : "sending";
        context.Log.Verbose($"Benchmark: {total} messages over {count} connections{(p.Rate > 0 ? $" at {p.Rate} msg/s" : string.Empty)} (shard {context.ShardIndex}/{context.ShardCount}).");
        var rate = p.Rate > 0 ? p.Rate / context.ShardCount / count : 0;
        var late = await Task.WhenAll(connections.Select((c, i) =>
            MessageSender.SendStreamAsync(recorder, c, context.AgentId("bench" + i.ToString(CultureInfo.InvariantCulture)), context.RunId + "-s" + context.ShardIndex.ToString(CultureInfo.InvariantCulture) + "-b" + i.ToString(CultureInfo.InvariantCulture), ShardShare(total, i + 1, count), rate, cancellationToken))).ConfigureAwait(false);
        recorder.LateSends = late.Sum();
        if (recorder.LateSends > 0)
        {
            recorder.Note(FormattableString.Invariant($"{recorder.LateSends} sends left more than 5 ms after their intended time: the generator could not keep the rate; latency still counts from the intended time."));
        }

        await recorder.WaitForRepliesAsync(cancellationToken).ConfigureAwait(false);
        recorder.ServerRssEnd = await recorder.SampleServerRssAsync(connections[0], cancellationToken).ConfigureAwait(false);
        recorder.CheckDelivery();
        recorder.CheckUnexpectedCloses();
    }

    /// <summary>The part of <paramref name="total"/> that share <paramref name="index"/> of <paramref name="count"/> takes (remainder to the first shares).</summary>
    internal static int ShardShare(int total, int index, int count) =>
        (total / count) + (index <= total % count ? 1 : 0);
}
