using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Client;
using RapidMessageTools.Metrics;
using RapidMessageTools.Protocol;

namespace RapidMessageTools.Scenarios;

/// <summary>
/// Many users at once, one connection each: every user's state must count only its own messages,
/// no user may see another's updates, and no user may starve while others are served.
/// </summary>
internal sealed class MultiUserScenario : IRapidScenario, IStagedScenario
{
    public string Name => "MultiUser";

    public string Description => "Many users at once, one connection each, all sending to the same agent name.";

    public string FailsWhen => "state leaks across users, or one user starves others";

    public RapidScenarioParameters Defaults { get; } = new() { Users = 10, MessageCount = 100, Connections = 10, TimeoutSec = 10 };

    public bool ChecksThroughput => true;

    public bool ChecksLatency => true;

    public async Task RunAsync(ScenarioContext context, ScenarioRecorder recorder, CancellationToken cancellationToken)
    {
        var p = context.Parameters;
        var agent = context.AgentId("multi");
        var users = Math.Max(1, p.Users);
        var perUser = new UserView[users];
        var connections = new RapidConnection[users];
        for (var u = 0; u < users; u++)
        {
            var view = perUser[u] = new UserView(context.UserId("u" + u.ToString(CultureInfo.InvariantCulture)));
            connections[u] = await recorder.ConnectAsync("u" + u.ToString(CultureInfo.InvariantCulture), view.OnFrame, cancellationToken, ownIdentity: true).ConfigureAwait(false);
        }

        await recorder.LimitToQueueAsync(connections, agent, cancellationToken).ConfigureAwait(false);
        context.Progress.Phase = $"{users} users sending";
        var sent = await SendAsync(context, recorder, connections, agent, cancellationToken).ConfigureAwait(false);
        await recorder.WaitForRepliesAsync(cancellationToken).ConfigureAwait(false);

        context.Progress.Phase = "checking each user's state";
        long leaks = 0;
        long corrupted = 0;
        long lagging = 0;
        long overcounted = 0;
        string? firstOver = null;
        string? firstLeak = null;
        string? firstLag = null;
        var reportedUsers = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var u = 0; u < users; u++)
        {
            if (!connections[u].IsOpen)
            {
                continue;
            }

            var state = await connections[u].QueryAgentStateAsync(agent, context.QueryTimeout, cancellationToken).ConfigureAwait(false);
            var view = perUser[u];
            var accepted = sent[u] - view.Rejected;
            if (state.Corrupted == true)
            {
                corrupted++;
                continue;
            }

            if (state.MessageCount > accepted)
            {
                // A count above what this user had accepted is a leak only when other users' messages show in it:
                // its last message is another user's, or the excess is as large as another user's whole traffic.
                // Otherwise the count is wrong, not shared (a state mismatch).
                var excess = state.MessageCount.Value - accepted;
                var foreignLast = state.LastMessageId is not null && !state.LastMessageId.StartsWith(Prefix(context, u) + "-", StringComparison.Ordinal);
                var fewestOther = users < 2 ? long.MaxValue : Enumerable.Range(0, users).Where(o => o != u).Min(o => Math.Max(1, perUser[o].Answered));
                if (foreignLast || excess >= fewestOther)
                {
                    leaks++;
                    firstLeak ??= foreignLast
                        ? FormattableString.Invariant($"user {u + 1} had {accepted} messages accepted but its agent_state says message_count {state.MessageCount}, last message {state.LastMessageId} (another user's)")
                        : FormattableString.Invariant($"user {u + 1} had {accepted} messages accepted but its agent_state says message_count {state.MessageCount}, {excess} more: as many as other users sent");
                }
                else
                {
                    overcounted++;
                    firstOver ??= FormattableString.Invariant($"user {u + 1} had {accepted} messages accepted but its agent_state says message_count {state.MessageCount}");
                }
            }
            else if (state.MessageCount < view.Answered)
            {
                lagging++;
                firstLag ??= FormattableString.Invariant($"user {u + 1} got {view.Answered} replies but its agent_state says message_count {state.MessageCount}");
            }

            if (state.UserId is not null)
            {
                if (context.Token is null && context.TokenForUser is null && state.UserId != view.UserId)
                {
                    leaks++;
                    firstLeak ??= $"user {u + 1} ({view.UserId}) was shown the state of {state.UserId}";
                }

                if (reportedUsers.TryGetValue(state.UserId, out var other))
                {
                    leaks++;
                    firstLeak ??= $"users {other + 1} and {u + 1} were both shown the state of {state.UserId}";
                }
                else
                {
                    reportedUsers[state.UserId] = u;
                }
            }

            if (view.ForeignUpdates > 0)
            {
                leaks += view.ForeignUpdates;
                firstLeak ??= $"user {u + 1} received {view.ForeignUpdates} state_update frames though it had no other connection";
            }
        }

        if (corrupted > 0)
        {
            recorder.AddViolation(ViolationCode.StateCorrupted, FormattableString.Invariant($"{corrupted} of {users} users' agent_state answers had corrupted = true."));
        }

        if (lagging > 0)
        {
            recorder.AddViolation(ViolationCode.StateMismatch, FormattableString.Invariant($"{lagging} users' agent_state counted fewer messages than they got replies for; first: {firstLag}."));
        }

        if (overcounted > 0)
        {
            recorder.AddViolation(ViolationCode.StateMismatch, FormattableString.Invariant($"{overcounted} users' agent_state counted more messages than they had accepted, though nothing in it is another user's; first: {firstOver}."));
        }

        if (leaks > 0)
        {
            recorder.AddViolation(ViolationCode.StateLeak, FormattableString.Invariant($"{leaks} signs of state shared across users; first: {firstLeak}."));
        }

        CheckStarvation(recorder, perUser, sent);
        recorder.CheckDelivery();
        recorder.CheckUnexpectedCloses();
    }

    /// <summary>The message id prefix of user <paramref name="u"/> (ids are prefix, dash, sequence).</summary>
    private static string Prefix(ScenarioContext context, int u) => context.RunId + "-mu" + u.ToString(CultureInfo.InvariantCulture);

    /// <summary>Each user's messages: back-to-back, or its share of the load plan (a rate, stages, Poisson). Returns how many each user sent.</summary>
    private static async Task<long[]> SendAsync(ScenarioContext context, ScenarioRecorder recorder, RapidConnection[] connections, string agent, CancellationToken cancellationToken)
    {
        var p = context.Parameters;
        var plan = recorder.PlanLoad();
        context.Progress.ExpectedMessages = plan is { IsTimed: true } ? 0 : (long)p.MessageCount * connections.Length;
        if (plan is null)
        {
            await Task.WhenAll(connections.Select((c, u) =>
                MessageSender.SendStreamAsync(recorder, c, agent, Prefix(context, u), p.MessageCount, 0, cancellationToken))).ConfigureAwait(false);
            return connections.Select(_ => (long)p.MessageCount).ToArray();
        }

        context.Log.Verbose($"MultiUser: {connections.Length} users, {(plan.IsTimed ? string.Empty : p.MessageCount.ToString(CultureInfo.InvariantCulture) + " messages each, ")}{plan.Describe()}.");
        var outcomes = await Task.WhenAll(connections.Select((c, u) =>
            MessageSender.SendPlannedAsync(recorder, c, agent, Prefix(context, u), plan.Stream(u, connections.Length, perStream: plan.IsTimed ? 0 : p.MessageCount), cancellationToken))).ConfigureAwait(false);
        recorder.LateSends = outcomes.Sum(o => o.Late);
        if (recorder.LateSends > 0)
        {
            recorder.Note(FormattableString.Invariant($"{recorder.LateSends} sends left more than 5 ms after their intended time: the generator could not keep the rate; latency still counts from the intended time."));
        }

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

    /// <summary>What one user saw: distinct messages answered, rejections, and state_update frames (none should come).</summary>
    private sealed class UserView(string userId)
    {
        private readonly HashSet<string> _answered = new(StringComparer.Ordinal);
        private long _rejected;
        private long _foreign;

        public string UserId { get; } = userId;

        public long Answered
        {
            get
            {
                lock (_answered)
                {
                    return _answered.Count;
                }
            }
        }

        public long Rejected => Interlocked.Read(ref _rejected);

        public long ForeignUpdates => Interlocked.Read(ref _foreign);

        public void OnFrame(ReceivedFrame r)
        {
            var f = r.Frame;
            switch (f.Type)
            {
                case MessageType.AiResponse when f.MessageId is not null:
                    lock (_answered)
                    {
                        _answered.Add(f.MessageId);
                    }

                    break;
                case MessageType.Error when f.MessageId is not null:
                    Interlocked.Increment(ref _rejected);
                    break;
                case MessageType.StateUpdate:
                    Interlocked.Increment(ref _foreign);
                    break;
            }
        }
    }
}
