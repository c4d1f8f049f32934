using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Results;
using RapidMessageTools.Protocol;

namespace RapidMessageTools.Scenarios;

/// <summary>N messages back-to-back on one connection: every reply arrives, once, in order.</summary>
internal sealed class SequentialScenario : IRapidScenario
{
    public string Name => "Sequential";

    public string Description => "N messages back-to-back on one connection to one agent.";

    public string FailsWhen => "a reply is missing, duplicated or out of order";

    public RapidScenarioParameters Defaults { get; } = new() { MessageCount = 500, Connections = 1, TimeoutSec = 10 };

    public bool ChecksThroughput => true;

    public bool ChecksLatency => true;


    public bool RejectionsExpected => false;


    public IReadOnlyList<string> Needs { get; } = [];


    public string? ChecksById => "that replies come in order and once each";

    public async Task<ScenarioMeasurements> RunAsync(ScenarioContext context, ScenarioRecorder recorder, MessageSender sender, CancellationToken cancellationToken)
    {
        var p = context.Parameters;
        var connection = await recorder.ConnectAsync("seq", null, cancellationToken).ConfigureAwait(false);
        await sender.LimitToQueueAsync([connection], context.AgentId("seq"), cancellationToken).ConfigureAwait(false);
        var rssStart = await recorder.SampleServerRssAsync(connection, cancellationToken).ConfigureAwait(false);
        context.Progress.Phase = "sending";
        context.Log.Verbose($"Sequential: sending {p.MessageCount} messages on one connection{(p.Rate > 0 ? $" at {p.Rate} msg/s" : " back-to-back")}.");
        await sender.SendStreamAsync(connection, context.AgentId("seq"), context.RunId + "-seq", p.MessageCount, p.Rate, cancellationToken).ConfigureAwait(false);
        await recorder.WaitForRepliesAsync(connection, cancellationToken).ConfigureAwait(false);
        var rssEnd = await recorder.SampleServerRssAsync(connection, cancellationToken).ConfigureAwait(false);
        recorder.CheckDelivery();
        recorder.CheckUnexpectedCloses();

        return new ScenarioMeasurements { ServerRssStart = rssStart, ServerRssEnd = rssEnd };
    }
}
