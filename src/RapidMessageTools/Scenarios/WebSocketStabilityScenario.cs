using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Client;
using RapidMessageTools.Results;
using RapidMessageTools.Protocol;

namespace RapidMessageTools.Scenarios;

/// <summary>
/// Repeated bursts with pings and idle gaps on one connection, reconnecting if it drops, then a clean
/// close and a reconnect: the connection must stay up and lose nothing.
/// </summary>
internal sealed class WebSocketStabilityScenario : IRapidScenario
{
    private static readonly TimeSpan IdleGap = TimeSpan.FromMilliseconds(200);

    public string Name => "WebSocketStability";

    public string Description => "Repeated bursts, pings and idle gaps on one connection; then close and reconnect.";

    public string FailsWhen => "unexpected close, lost frame, unanswered ping, failed reconnect";

    public RapidScenarioParameters Defaults { get; } = new() { Bursts = 5, BurstSize = 50, Connections = 1, TimeoutSec = 10 };

    public bool ChecksThroughput => false;

    public bool ChecksLatency => true;


    public bool RejectionsExpected => false;


    public IReadOnlyList<string> Needs { get; } = [MessageType.Ping, MessageType.Pong];


    public string? ChecksById => null;

    public async Task<ScenarioMeasurements> RunAsync(ScenarioContext context, ScenarioRecorder recorder, MessageSender sender, CancellationToken cancellationToken)
    {
        var p = context.Parameters;
        var agent = context.AgentId("stable");
        var connection = await recorder.ConnectAsync("stable", null, cancellationToken).ConfigureAwait(false);
        var seq = 0;
        var unansweredPings = 0;
        for (var burst = 0; burst < p.Bursts; burst++)
        {
            if (!connection.IsOpen)
            {
                context.Log.Verbose("WebSocketStability: the connection dropped; reconnecting.");
                connection = await ReconnectAsync(context, recorder, cancellationToken).ConfigureAwait(false);
                if (connection is null)
                {
                    break;
                }
            }

            context.Progress.Phase = $"burst {burst + 1} of {p.Bursts}";
            var ids = new List<string>(p.BurstSize);
            try
            {
                for (var i = 0; i < p.BurstSize; i++)
                {
                    seq++;
                    ids.Add(Id(context, seq));
                    await sender.SendAsync(connection, ids[i], seq, agent, 0, cancellationToken).ConfigureAwait(false);
                }

                await connection.PingAsync(context.QueryTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                unansweredPings++;
            }
            catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or ObjectDisposedException or InvalidOperationException)
            {
                // The drop is recorded by the recorder; the next burst reconnects.
            }

            // This burst's messages only: a reply lost in an earlier burst must not make every later burst wait the timeout.
            context.Progress.Phase = "waiting for replies";
            await MessageWait.ForAsync(recorder, ids, connection, context.ReplyTimeout, cancellationToken).ConfigureAwait(false);
            await Task.Delay(IdleGap, cancellationToken).ConfigureAwait(false);
        }

        // A clean close, then a new connection must work at once.
        context.Progress.Phase = "close and reconnect";
        if (connection is not null)
        {
            await connection.CloseAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }

        var again = await ReconnectAsync(context, recorder, cancellationToken).ConfigureAwait(false);
        if (again is not null)
        {
            seq++;
            await sender.SendAsync(again, Id(context, seq), seq, agent, 0, cancellationToken).ConfigureAwait(false);
            await MessageWait.ForAsync(recorder, [Id(context, seq)], again, context.ReplyTimeout, cancellationToken).ConfigureAwait(false);
        }

        if (unansweredPings > 0)
        {
            recorder.AddViolation(ViolationCode.PingUnanswered, FormattableString.Invariant($"{unansweredPings} ping(s) got no pong within {context.QueryTimeout.TotalSeconds} s."));
        }

        recorder.CheckUnexpectedCloses();
        recorder.CheckDelivery();

        return new ScenarioMeasurements();
    }

    private static async Task<RapidConnection?> ReconnectAsync(ScenarioContext context, ScenarioRecorder recorder, CancellationToken cancellationToken)
    {
        try
        {
            return await recorder.ConnectAsync("stable", null, cancellationToken).ConfigureAwait(false);
        }
        catch (RapidConnectionException ex)
        {
            recorder.AddViolation(ViolationCode.ReconnectFailed, "reconnecting failed: " + ex.Message);
            return null;
        }
    }

    private static string Id(ScenarioContext context, long seq) =>
        context.RunId + "-stable-" + seq.ToString(CultureInfo.InvariantCulture);
}
