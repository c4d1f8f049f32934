using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Client;
using RapidMessageTools.Protocol;
using RapidMessageTools.Results;

namespace RapidMessageTools.Scenarios;

/// <summary>
/// One user on several connections: one connection sends to several agents; every other connection
/// must get a state_update for each processed message, and its own agent_state query must not be
/// stale beyond a bound.
/// </summary>
internal sealed class CrossAgentSyncScenario : IRapidScenario
{
    /// <summary>How long another connection's view may lag behind an acknowledged message.</summary>
    private static readonly TimeSpan StaleBound = TimeSpan.FromSeconds(1);

    public string Name => "CrossAgentSync";

    public string Description => "Several connections of one user: one sends to several agents, the others must see each change.";

    public string FailsWhen => "another connection's view is stale past a bound (1 s), or state_update is missing";

    public RapidScenarioParameters Defaults { get; } = new() { Connections = 3, Agents = 3, MessageCount = 60, TimeoutSec = 10 };

    public bool ChecksThroughput => false;

    public bool ChecksLatency => true;


    public bool RejectionsExpected => false;


    public IReadOnlyList<string> Needs { get; } = [MessageType.Ping, MessageType.Pong, MessageType.GetAgentState, MessageType.AgentState, MessageType.StateUpdate];


    public string? ChecksById => null;

    public async Task<ScenarioMeasurements> RunAsync(ScenarioContext context, ScenarioRecorder recorder, MessageSender sender, CancellationToken cancellationToken)
    {
        var p = context.Parameters;
        var observers = Math.Max(1, p.Connections - 1);
        var agents = new string[Math.Max(1, p.Agents)];
        for (var a = 0; a < agents.Length; a++)
        {
            agents[a] = context.AgentId("sync" + a.ToString(CultureInfo.InvariantCulture));
        }

        // Highest message_count each observer has seen by state_update, per agent.
        var seen = new ConcurrentDictionary<string, long>[observers];
        var observerConnections = new List<RapidConnection>();
        for (var o = 0; o < observers; o++)
        {
            var view = seen[o] = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
            void OnFrame(ReceivedFrame r)
            {
                var f = r.Frame;
                if (f.Type == MessageType.StateUpdate && f.AgentId is not null && f.MessageCount is long c)
                {
                    view.AddOrUpdate(f.AgentId, c, (_, old) => Math.Max(old, c));
                }
            }

            observerConnections.Add(await recorder.ConnectAsync("sync", OnFrame, cancellationToken).ConfigureAwait(false));
        }

        // A ping answered on each observer shows the server serves that connection, so it is one of the user's
        // connections before the first message: a server may register a connection after the handshake.
        foreach (var observer in observerConnections)
        {
            try
            {
                await observer.PingAsync(context.QueryTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                recorder.Note("An observer's ping got no pong: it may not be registered when the first message is processed.");
            }
        }

        var writer = await recorder.ConnectAsync("sync", null, cancellationToken).ConfigureAwait(false);
        var expected = new long[agents.Length];
        long missingUpdates = 0;
        long staleUpdates = 0;
        long staleQueries = 0;
        long aheadViews = 0;
        long corruptedAnswers = 0;
        long checks = 0;
        string? firstProblem = null;
        string? firstAhead = null;
        var seq = 0;
        while (seq < p.MessageCount && writer.IsOpen)
        {
            context.Progress.Phase = $"message {seq + 1} of {p.MessageCount}";
            for (var a = 0; a < agents.Length && seq < p.MessageCount; a++)
            {
                seq++;
                await sender.SendAsync(writer, context.RunId + "-sync-" + seq.ToString(CultureInfo.InvariantCulture), seq, agents[a], 0, cancellationToken).ConfigureAwait(false);
                expected[a]++;
            }

            if (!await recorder.WaitForRepliesAsync(writer, cancellationToken).ConfigureAwait(false))
            {
                break;
            }

            // Every observer must catch up with every agent within the bound.
            var deadline = Stopwatch.StartNew();
            bool caughtUp;
            do
            {
                caughtUp = true;
                for (var o = 0; o < observers && caughtUp; o++)
                {
                    for (var a = 0; a < agents.Length; a++)
                    {
                        if (seen[o].TryGetValue(agents[a], out var c) ? c < expected[a] : expected[a] > 0)
                        {
                            caughtUp = false;
                            break;
                        }
                    }
                }

                if (!caughtUp)
                {
                    await Task.Delay(10, cancellationToken).ConfigureAwait(false);
                }
            }
            while (!caughtUp && deadline.Elapsed < StaleBound);

            checks++;

            // A view ahead of what was acknowledged is not lag: the server counts wrong.
            for (var o = 0; o < observers; o++)
            {
                for (var a = 0; a < agents.Length; a++)
                {
                    if (seen[o].TryGetValue(agents[a], out var c) && c > expected[a])
                    {
                        aheadViews++;
                        firstAhead ??= FormattableString.Invariant($"observer {o + 1} got a state_update with message_count {c} for agent {agents[a]} after only {expected[a]} messages were sent to it");
                    }
                }
            }

            if (!caughtUp)
            {
                for (var o = 0; o < observers; o++)
                {
                    for (var a = 0; a < agents.Length; a++)
                    {
                        if (!seen[o].TryGetValue(agents[a], out var c))
                        {
                            missingUpdates++;
                            firstProblem ??= $"observer {o + 1} had no state_update for agent {agents[a]} {StaleBound.TotalSeconds:0.#} s after {expected[a]} acknowledged messages";
                        }
                        else if (c < expected[a])
                        {
                            staleUpdates++;
                            firstProblem ??= $"observer {o + 1} saw message_count {c} for agent {agents[a]} {StaleBound.TotalSeconds:0.#} s after {expected[a]} were acknowledged";
                        }
                    }
                }
            }

            // And an observer's own query must show the acknowledged count.
            var probeAgent = (seq - 1) % agents.Length;
            var observer = observerConnections[(seq / agents.Length) % observers];
            var state = await observer.QueryAgentStateAsync(agents[probeAgent], context.QueryTimeout, cancellationToken).ConfigureAwait(false);
            if (state.Corrupted == true)
            {
                corruptedAnswers++;
            }
            else if (state.MessageCount > expected[probeAgent])
            {
                aheadViews++;
                firstAhead ??= FormattableString.Invariant($"an observer's agent_state said message_count {state.MessageCount} for agent {agents[probeAgent]} after only {expected[probeAgent]} messages were sent to it");
            }
            else if (state.MessageCount != expected[probeAgent])
            {
                // Behind (or missing): the view lags what was acknowledged.
                staleQueries++;
                firstProblem ??= FormattableString.Invariant($"an observer's agent_state said message_count {state.MessageCount} for agent {agents[probeAgent]} after {expected[probeAgent]} were acknowledged");
            }
        }

        if (corruptedAnswers > 0)
        {
            recorder.AddViolation(ViolationCode.StateCorrupted, FormattableString.Invariant($"{corruptedAnswers} of {checks} observers' agent_state answers had corrupted = true."));
        }

        if (missingUpdates > 0)
        {
            recorder.AddViolation(ViolationCode.MissingStateUpdate, FormattableString.Invariant(
                $"{missingUpdates} (observer, agent) pairs got no state_update within {StaleBound.TotalSeconds} s; first: {firstProblem}."));
        }

        if (staleUpdates + staleQueries > 0)
        {
            recorder.AddViolation(ViolationCode.StaleView, FormattableString.Invariant(
                $"another connection's view lagged past {StaleBound.TotalSeconds} s: {staleUpdates} stale state_update views, {staleQueries} stale agent_state answers out of {checks} checks; first: {firstProblem}."));
        }

        if (aheadViews > 0)
        {
            recorder.AddViolation(ViolationCode.StateMismatch, FormattableString.Invariant(
                $"{aheadViews} views counted more messages than were sent (a count ahead, not a lag); first: {firstAhead}."));
        }

        recorder.CheckDelivery();
        recorder.CheckUnexpectedCloses();

        return new ScenarioMeasurements();
    }
}
