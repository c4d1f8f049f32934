using System;
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
/// Many users at once, one connection each: every user's state must count only its own messages,
/// no user may see another's updates, and no user may starve while others are served.
/// </summary>
internal sealed class MultiUserScenario : IRapidScenario, IStagedScenario, IUserSessionScenario, IConnectionCount
{
    /// <summary>Connects under way at once during a -ConnectRate ramp: a slow server slows the ramp rather than piling up connects.</summary>
    private const int ConnectsAtOnce = 64;

    /// <summary>agent_state queries under way at once in the final check.</summary>
    private const int StateQueriesAtOnce = 16;

    public string Name => "MultiUser";

    public string Description => "Many users at once, one connection each, all sending to the same agent name.";

    public string FailsWhen => "state leaks across users, or one user starves others";

    public RapidScenarioParameters Defaults { get; } = new() { Users = 10, MessageCount = 100, Connections = 10, TimeoutSec = 10 };

    public bool ChecksThroughput => true;

    public bool ChecksLatency => true;


    public bool RejectionsExpected => false;


    public IReadOnlyList<string> Needs { get; } = [MessageType.GetAgentState, MessageType.AgentState];


    public string? ChecksById => null;

    public int ConnectionsNeeded(RapidScenarioParameters parameters) => Math.Max(1, parameters.Users);

    public async Task<ScenarioMeasurements> RunAsync(ScenarioContext context, ScenarioRecorder recorder, MessageSender sender, CancellationToken cancellationToken)
    {
        var p = context.Parameters;
        var agent = context.AgentId("multi");
        var users = Math.Max(1, p.Users);
        var perUser = new UserView[users];
        var connections = new RapidConnection?[users];
        for (var u = 0; u < users; u++)
        {
            perUser[u] = new UserView(context.UserId(UserKey(u)));
        }

        long[] sent;
        if (p.ConnectRate > 0)
        {
            sent = await RampAsync(context, recorder, sender, perUser, connections, agent, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            for (var u = 0; u < users; u++)
            {
                connections[u] = await recorder.ConnectMatchedAsync(UserKey(u), perUser[u].OnFrame, cancellationToken, ownIdentity: true).ConfigureAwait(false);
            }

            var all = connections.Select(c => c!).ToArray();
            await sender.LimitToQueueAsync(all, agent, cancellationToken).ConfigureAwait(false);
            context.Progress.Phase = $"{users} users sending";
            sent = await SendAsync(context, recorder, sender, all, agent, cancellationToken).ConfigureAwait(false);
        }

        await recorder.WaitForRepliesAsync(cancellationToken).ConfigureAwait(false);
        context.Progress.Phase = "checking each user's state";
        await CheckStatesAsync(context, recorder, perUser, connections, sent, agent, cancellationToken).ConfigureAwait(false);
        CheckStarvation(recorder, perUser, sent);
        recorder.CheckDelivery();
        recorder.CheckUnexpectedCloses();

        return new ScenarioMeasurements();
    }

    private static string UserKey(int u) => "u" + u.ToString(CultureInfo.InvariantCulture);

    private static string Prefix(ScenarioContext context, int u) => context.RunId + "-mu" + u.ToString(CultureInfo.InvariantCulture);

    /// <summary>Asks every connected user's agent_state (a few at a time) and judges leaks, lag and corruption.</summary>
    private static async Task CheckStatesAsync(ScenarioContext context, ScenarioRecorder recorder, UserView[] perUser, RapidConnection?[] connections, long[] sent, string agent, CancellationToken cancellationToken)
    {
        var states = await QueryStatesAsync(context, connections, agent, cancellationToken).ConfigureAwait(false);
        var findings = new StateFindings();
        var reportedUsers = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var u = 0; u < perUser.Length; u++)
        {
            if (states[u] is not { } state)
            {
                continue;
            }

            if (state.Corrupted == true)
            {
                findings.Corrupted++;
                continue;
            }

            findings.CheckCount(context, perUser, u, state, sent[u] - perUser[u].Rejected);
            findings.CheckOwner(context, perUser[u], u, state, reportedUsers);
        }

        findings.Report(recorder, perUser.Length);
    }

    /// <summary>Every connected user's agent_state, <see cref="StateQueriesAtOnce"/> at a time (null for a user no longer connected).</summary>
    private static async Task<ProtocolFrame?[]> QueryStatesAsync(ScenarioContext context, RapidConnection?[] connections, string agent, CancellationToken cancellationToken)
    {
        var states = new ProtocolFrame?[connections.Length];
        var next = -1;
        async Task Worker()
        {
            int u;
            while ((u = Interlocked.Increment(ref next)) < connections.Length)
            {
                if (connections[u] is { IsOpen: true } c)
                {
                    states[u] = await c.QueryAgentStateAsync(agent, context.QueryTimeout, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Math.Min(connections.Length, StateQueriesAtOnce)).Select(_ => Worker())).ConfigureAwait(false);
        return states;
    }

    /// <summary>What the users' agent_state answers showed, counted, with the first example of each kind.</summary>
    private sealed class StateFindings
    {
        private long _leaks;
        private long _lagging;
        private long _overcounted;
        private string? _firstOver;
        private string? _firstLeak;
        private string? _firstLag;

        public long Corrupted { get; set; }

        /// <summary>
        /// A count above what the user had accepted is a leak only when other users' messages show in it: its last
        /// message is another user's, or the excess is as large as another user's whole traffic. Otherwise the count
        /// is wrong, not shared (a state mismatch). A count below the replies it got lags.
        /// </summary>
        public void CheckCount(ScenarioContext context, UserView[] perUser, int u, ProtocolFrame state, long accepted)
        {
            var view = perUser[u];
            if (state.MessageCount > accepted)
            {
                var excess = state.MessageCount.Value - accepted;
                var foreignLast = state.LastMessageId is not null && !state.LastMessageId.StartsWith(Prefix(context, u) + "-", StringComparison.Ordinal);
                var fewestOther = perUser.Length < 2 ? long.MaxValue : Enumerable.Range(0, perUser.Length).Where(o => o != u).Min(o => Math.Max(1, perUser[o].Answered));
                if (foreignLast || excess >= fewestOther)
                {
                    _leaks++;
                    _firstLeak ??= foreignLast
                        ? FormattableString.Invariant($"user {u + 1} had {accepted} messages accepted but its agent_state says message_count {state.MessageCount}, last message {state.LastMessageId} (another user's)")
                        : FormattableString.Invariant($"user {u + 1} had {accepted} messages accepted but its agent_state says message_count {state.MessageCount}, {excess} more: as many as other users sent");
                }
                else
                {
                    _overcounted++;
                    _firstOver ??= FormattableString.Invariant($"user {u + 1} had {accepted} messages accepted but its agent_state says message_count {state.MessageCount}");
                }
            }
            else if (state.MessageCount < view.Answered)
            {
                _lagging++;
                _firstLag ??= FormattableString.Invariant($"user {u + 1} got {view.Answered} replies but its agent_state says message_count {state.MessageCount}");
            }
        }

        /// <summary>Whose state the user was shown: its own, not another's, not one another user was shown too; and no state_update from outside.</summary>
        public void CheckOwner(ScenarioContext context, UserView view, int u, ProtocolFrame state, Dictionary<string, int> reportedUsers)
        {
            if (state.UserId is not null)
            {
                if (context.Token is null && context.TokenForUser is null && state.UserId != view.UserId)
                {
                    _leaks++;
                    _firstLeak ??= $"user {u + 1} ({view.UserId}) was shown the state of {state.UserId}";
                }

                if (reportedUsers.TryGetValue(state.UserId, out var other))
                {
                    _leaks++;
                    _firstLeak ??= $"users {other + 1} and {u + 1} were both shown the state of {state.UserId}";
                }
                else
                {
                    reportedUsers[state.UserId] = u;
                }
            }

            if (view.ForeignUpdates > 0)
            {
                _leaks += view.ForeignUpdates;
                _firstLeak ??= $"user {u + 1} received {view.ForeignUpdates} state_update frames though it had no other connection";
            }
        }

        public void Report(ScenarioRecorder recorder, int users)
        {
            if (Corrupted > 0)
            {
                recorder.AddViolation(ViolationCode.StateCorrupted, FormattableString.Invariant($"{Corrupted} of {users} users' agent_state answers had corrupted = true."));
            }

            if (_lagging > 0)
            {
                recorder.AddViolation(ViolationCode.StateMismatch, FormattableString.Invariant($"{_lagging} users' agent_state counted fewer messages than they got replies for; first: {_firstLag}."));
            }

            if (_overcounted > 0)
            {
                recorder.AddViolation(ViolationCode.StateMismatch, FormattableString.Invariant($"{_overcounted} users' agent_state counted more messages than they had accepted, though nothing in it is another user's; first: {_firstOver}."));
            }

            if (_leaks > 0)
            {
                recorder.AddViolation(ViolationCode.StateLeak, FormattableString.Invariant($"{_leaks} signs of state shared across users; first: {_firstLeak}."));
            }
        }
    }

    /// <summary>
    /// Users join at -ConnectRate (at most <see cref="ConnectsAtOnce"/> connecting at a time), each starting to send once
    /// connected: its messages back-to-back, or its share of the rate from its own start (so with -Duration every user
    /// stays that long). A connect that fails stops the ramp; the users already in finish, and the run names how far the ramp got.
    /// </summary>
    private static async Task<long[]> RampAsync(ScenarioContext context, ScenarioRecorder recorder, MessageSender sender, UserView[] perUser, RapidConnection?[] connections, string agent, CancellationToken cancellationToken)
    {
        var p = context.Parameters;
        var users = perUser.Length;
        var sent = new long[users];
        var plan = sender.PlanLoad();

        // The first user finds the agent's queue (for the in-flight window of back-to-back sending) before the others join.
        connections[0] = await recorder.ConnectMatchedAsync(UserKey(0), perUser[0].OnFrame, cancellationToken, ownIdentity: true).ConfigureAwait(false);
        var window = await sender.LimitToQueueAsync([connections[0]!], agent, cancellationToken, users).ConfigureAwait(false);
        context.Log.Verbose(FormattableString.Invariant($"MultiUser: {users} users joining at {p.ConnectRate} per second, {(plan is null ? p.MessageCount.ToString(CultureInfo.InvariantCulture) + " messages each, back-to-back" : plan.Describe() + (plan.IsTimed ? " (each user for -Duration from its own start)" : string.Empty))}."));

        async Task User(int u, RapidConnection connection)
        {
            if (plan is null)
            {
                await sender.SendStreamAsync(connection, agent, Prefix(context, u), p.MessageCount, 0, cancellationToken).ConfigureAwait(false);
                sent[u] = p.MessageCount;
                return;
            }

            var outcome = await sender.SendPlannedAsync(
                connection, agent, Prefix(context, u), plan.Stream(u, users, perStream: plan.IsTimed ? 0 : p.MessageCount), cancellationToken, ownStart: true).ConfigureAwait(false);
            sent[u] = outcome.Sent;
        }

        using var connecting = new SemaphoreSlim(ConnectsAtOnce, ConnectsAtOnce);
        var running = new List<Task>(users) { User(0, connections[0]!) };
        var failed = 0;
        Exception? firstFailure = null;
        var joined = 1;
        async Task Join(int u)
        {
            RapidConnection connection;
            try
            {
                connection = await recorder.ConnectMatchedAsync(UserKey(u), perUser[u].OnFrame, cancellationToken, ownIdentity: true).ConfigureAwait(false);
                if (window > 0)
                {
                    sender.SetWindow(connection, window);
                }
            }
            catch (Exception ex) when (ex is RapidConnectionException or System.Net.WebSockets.WebSocketException or System.Net.Sockets.SocketException)
            {
                if (Interlocked.Increment(ref failed) == 1)
                {
                    firstFailure = ex;
                }

                return;
            }
            finally
            {
                connecting.Release();
            }

            connections[u] = connection;
            Interlocked.Increment(ref joined);
            await User(u, connection).ConfigureAwait(false);
        }

        var clock = Stopwatch.StartNew();
        var slow = false;
        for (var u = 1; u < users && Volatile.Read(ref failed) == 0; u++)
        {
            var due = TimeSpan.FromSeconds(u / p.ConnectRate);
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }

            if (!connecting.Wait(0))
            {
                slow = true;
                await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            context.Progress.Phase = FormattableString.Invariant($"{Volatile.Read(ref joined)} of {users} users connected");
            running.Add(Join(u));
        }

        var rampSeconds = clock.Elapsed.TotalSeconds;
        context.Progress.Phase = FormattableString.Invariant($"{Volatile.Read(ref joined)} users sending");
        await Task.WhenAll(running).ConfigureAwait(false);
        var achieved = rampSeconds > 0 ? Volatile.Read(ref joined) / rampSeconds : 0;
        if (slow && achieved < p.ConnectRate * 0.9)
        {
            recorder.Note(FormattableString.Invariant($"Connections ramped in at about {achieved:0} per second, under the -ConnectRate of {p.ConnectRate}: each connect took longer than {ConnectsAtOnce} at a time allow."));
        }

        if (failed > 0)
        {
            recorder.AddViolation(ViolationCode.ReconnectFailed, FormattableString.Invariant(
                $"the ramp stopped at {Volatile.Read(ref joined)} of {users} users: {failed} connect(s) failed ({firstFailure?.Message}). The users already connected finished their messages."));
        }

        return sent;
    }

    /// <summary>Each user's messages: back-to-back, or its share of the load plan (a rate, stages, Poisson). Returns how many each user sent.</summary>
    private static async Task<long[]> SendAsync(ScenarioContext context, ScenarioRecorder recorder, MessageSender sender, RapidConnection[] connections, string agent, CancellationToken cancellationToken)
    {
        var p = context.Parameters;
        var plan = sender.PlanLoad();
        context.Progress.ExpectedMessages = plan is { IsTimed: true } ? 0 : (long)p.MessageCount * connections.Length;
        if (plan is null)
        {
            await Task.WhenAll(connections.Select((c, u) =>
                sender.SendStreamAsync(c, agent, Prefix(context, u), p.MessageCount, 0, cancellationToken))).ConfigureAwait(false);
            return connections.Select(_ => (long)p.MessageCount).ToArray();
        }

        context.Log.Verbose($"MultiUser: {connections.Length} users, {(plan.IsTimed ? string.Empty : p.MessageCount.ToString(CultureInfo.InvariantCulture) + " messages each, ")}{plan.Describe()}.");
        var outcomes = await Task.WhenAll(connections.Select((c, u) =>
            sender.SendPlannedAsync(c, agent, Prefix(context, u), plan.Stream(u, connections.Length, perStream: plan.IsTimed ? 0 : p.MessageCount), cancellationToken))).ConfigureAwait(false);
        return outcomes.Select(o => o.Sent).ToArray();
    }

    /// <summary>A user starves when it got under half its replies while every other user got all of theirs.</summary>
    private static void CheckStarvation(ScenarioRecorder recorder, UserView[] users, long[] sent)
    {
        if (users.Length < 2)
        {
            return;
        }

        var full = users.Where((u, i) => u.Answered >= sent[i]).Count();
        var starving = users.Where((u, i) => u.Answered < sent[i] / 2).ToArray();
        if (starving.Length > 0 && full >= users.Length - starving.Length && full > 0)
        {
            recorder.AddViolation(ViolationCode.Starvation, FormattableString.Invariant(
                $"{starving.Length} user(s) got under half their replies (fewest {starving.Min(u => u.Answered)} of {sent.Max()}) while {full} others got all of theirs."));
        }
    }

    /// <summary>What one user saw: messages answered (first answers, counted by the ledger), rejections, and state_update frames (none should come). A few counters, whatever the run's length.</summary>
    private sealed class UserView(string userId)
    {
        private long _answered;
        private long _rejected;
        private long _foreign;

        public string UserId { get; } = userId;

        public long Answered => Interlocked.Read(ref _answered);

        public long Rejected => Interlocked.Read(ref _rejected);

        public long ForeignUpdates => Interlocked.Read(ref _foreign);

        public void OnFrame(ReceivedFrame r, FrameMatch match)
        {
            if (match == FrameMatch.Answered)
            {
                Interlocked.Increment(ref _answered);
            }

            switch (r.Frame.Type)
            {
                case MessageType.Error when r.Frame.MessageId is not null:
                    Interlocked.Increment(ref _rejected);
                    break;
                case MessageType.StateUpdate:
                    Interlocked.Increment(ref _foreign);
                    break;
            }
        }
    }
}
