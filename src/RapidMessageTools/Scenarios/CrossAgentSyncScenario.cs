using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
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
        var agents = Enumerable.Range(0, Math.Max(1, p.Agents)).Select(a => context.AgentId("sync" + a.ToString(CultureInfo.InvariantCulture))).ToArray();
        var (observerConnections, seen) = await OpenObserversAsync(context, recorder, Math.Max(1, p.Connections - 1), cancellationToken).ConfigureAwait(false);
        var writer = await recorder.ConnectAsync("sync", null, cancellationToken).ConfigureAwait(false);
        var expected = new long[agents.Length];
        var findings = new SyncFindings();
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

            // Every observer must catch up with every agent within the bound; none may be ahead of what was acknowledged.
            var caughtUp = await WaitCaughtUpAsync(seen, agents, expected, cancellationToken).ConfigureAwait(false);
            findings.Checks++;
            findings.CheckAhead(seen, agents, expected);
            if (!caughtUp)
            {
                findings.CheckLag(seen, agents, expected);
            }

            // And an observer's own query must show the acknowledged count.
            var probeAgent = (seq - 1) % agents.Length;
            var observer = observerConnections[(seq / agents.Length) % observerConnections.Count];
            var state = await observer.QueryAgentStateAsync(agents[probeAgent], context.QueryTimeout, cancellationToken).ConfigureAwait(false);
            findings.CheckQuery(state, agents[probeAgent], expected[probeAgent]);
        }

        findings.Report(recorder);
        recorder.CheckDelivery();
        recorder.CheckUnexpectedCloses();
        return new ScenarioMeasurements();
    }

    /// <summary>
    /// Opens the observers, each keeping the highest message_count it has seen by state_update per agent, and pings
    /// each: an answered ping shows the server serves that connection, so it is one of the user's connections
    /// before the first message (a server may register a connection after the handshake).
    /// </summary>
    private static async Task<(List<RapidConnection> Connections, ConcurrentDictionary<string, long>[] Seen)> OpenObserversAsync(
        ScenarioContext context, ScenarioRecorder recorder, int observers, CancellationToken cancellationToken)
    {
        var seen = new ConcurrentDictionary<string, long>[observers];
        var connections = new List<RapidConnection>();
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

            connections.Add(await recorder.ConnectAsync("sync", OnFrame, cancellationToken).ConfigureAwait(false));
        }

        foreach (var observer in connections)
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

        return (connections, seen);
    }

    /// <summary>Waits up to <see cref="StaleBound"/> for every observer to have seen every agent's acknowledged count.</summary>
    private static async Task<bool> WaitCaughtUpAsync(ConcurrentDictionary<string, long>[] seen, string[] agents, long[] expected, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var caughtUp = seen.All(view => agents.Select((agent, a) => view.TryGetValue(agent, out var c) ? c >= expected[a] : expected[a] == 0).All(ok => ok));
            if (caughtUp || deadline.Elapsed >= StaleBound)
            {
                return caughtUp;
            }

            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>What the observers' views showed, counted over the run, and the first example of each kind.</summary>
    private sealed class SyncFindings
    {
        private long _missingUpdates;
        private long _staleUpdates;
        private long _staleQueries;
        private long _aheadViews;
        private long _corruptedAnswers;
        private string? _firstProblem;
        private string? _firstAhead;

        public long Checks { get; set; }

        /// <summary>A view ahead of what was acknowledged is not lag: the server counts wrong.</summary>
        public void CheckAhead(ConcurrentDictionary<string, long>[] seen, string[] agents, long[] expected)
        {
            for (var o = 0; o < seen.Length; o++)
            {
                for (var a = 0; a < agents.Length; a++)
                {
                    if (seen[o].TryGetValue(agents[a], out var c) && c > expected[a])
                    {
                        _aheadViews++;
                        _firstAhead ??= FormattableString.Invariant($"observer {o + 1} got a state_update with message_count {c} for agent {agents[a]} after only {expected[a]} messages were sent to it");
                    }
                }
            }
        }

        /// <summary>Observers that did not catch up within the bound: no state_update at all, or one behind.</summary>
        public void CheckLag(ConcurrentDictionary<string, long>[] seen, string[] agents, long[] expected)
        {
            for (var o = 0; o < seen.Length; o++)
            {
                for (var a = 0; a < agents.Length; a++)
                {
                    if (!seen[o].TryGetValue(agents[a], out var c))
                    {
                        _missingUpdates++;
                        _firstProblem ??= $"observer {o + 1} had no state_update for agent {agents[a]} {StaleBound.TotalSeconds:0.#} s after {expected[a]} acknowledged messages";
                    }
                    else if (c < expected[a])
                    {
                        _staleUpdates++;
                        _firstProblem ??= $"observer {o + 1} saw message_count {c} for agent {agents[a]} {StaleBound.TotalSeconds:0.#} s after {expected[a]} were acknowledged";
                    }
                }
            }
        }

        /// <summary>An observer's own agent_state: corrupted, ahead (counts wrong) or behind (lags).</summary>
        public void CheckQuery(ProtocolFrame state, string agent, long expected)
        {
            if (state.Corrupted == true)
            {
                _corruptedAnswers++;
            }
            else if (state.MessageCount > expected)
            {
                _aheadViews++;
                _firstAhead ??= FormattableString.Invariant($"an observer's agent_state said message_count {state.MessageCount} for agent {agent} after only {expected} messages were sent to it");
            }
            else if (state.MessageCount != expected)
            {
                // Behind (or missing): the view lags what was acknowledged.
                _staleQueries++;
                _firstProblem ??= FormattableString.Invariant($"an observer's agent_state said message_count {state.MessageCount} for agent {agent} after {expected} were acknowledged");
            }
        }

        public void Report(ScenarioRecorder recorder)
        {
            if (_corruptedAnswers > 0)
            {
                recorder.AddViolation(ViolationCode.StateCorrupted, FormattableString.Invariant($"{_corruptedAnswers} of {Checks} observers' agent_state answers had corrupted = true."));
            }

            if (_missingUpdates > 0)
            {
                recorder.AddViolation(ViolationCode.MissingStateUpdate, FormattableString.Invariant(
                    $"{_missingUpdates} (observer, agent) pairs got no state_update within {StaleBound.TotalSeconds} s; first: {_firstProblem}."));
            }

            if (_staleUpdates + _staleQueries > 0)
            {
                recorder.AddViolation(ViolationCode.StaleView, FormattableString.Invariant(
                    $"another connection's view lagged past {StaleBound.TotalSeconds} s: {_staleUpdates} stale state_update views, {_staleQueries} stale agent_state answers out of {Checks} checks; first: {_firstProblem}."));
            }

            if (_aheadViews > 0)
            {
                recorder.AddViolation(ViolationCode.StateMismatch, FormattableString.Invariant(
                    $"{_aheadViews} views counted more messages than were sent (a count ahead, not a lag); first: {_firstAhead}."));
            }
        }
    }
}
