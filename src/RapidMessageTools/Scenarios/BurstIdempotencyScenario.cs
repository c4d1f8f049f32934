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
/// Bursts in which every message_id is sent twice at once and once more after its reply: the server
/// must process each id once (message_count counts ids, not sends) and answer repeats with replays
/// marked duplicate.
/// </summary>
internal sealed class BurstIdempotencyScenario : IRapidScenario
{
    public string Name => "BurstIdempotency";

    public string Description => "Bursts that repeat message_ids: each id sent twice at once, and again after its reply.";

    public string FailsWhen => "a repeat is processed again (message_count moves, or replies without duplicate)";

    public RapidScenarioParameters Defaults { get; } = new() { Bursts = 5, BurstSize = 20, Connections = 1, TimeoutSec = 10 };

    public bool ChecksThroughput => false;

    public bool ChecksLatency => true;


    public bool RejectionsExpected => false;


    public IReadOnlyList<string> Needs { get; } = [MessageType.GetAgentState, MessageType.AgentState];


    public string? ChecksById => "that a repeated message_id is answered as a replay, marked duplicate, and not processed again";

    public async Task<ScenarioMeasurements> RunAsync(ScenarioContext context, ScenarioRecorder recorder, MessageSender sender, CancellationToken cancellationToken)
    {
        var p = context.Parameters;
        var agent = context.AgentId("idem");
        var connection = await recorder.ConnectAsync("idem", null, cancellationToken).ConfigureAwait(false);
        var unique = 0;
        for (var burst = 0; burst < p.Bursts; burst++)
        {
            context.Progress.Phase = $"burst {burst + 1} of {p.Bursts}";
            var first = unique + 1;
            var ids = new List<string>(p.BurstSize);
            for (var i = 0; i < p.BurstSize; i++)
            {
                var seq = first + i;
                var id = Id(context, seq);
                ids.Add(id);
                await sender.SendAsync(connection, id, seq, agent, 0, cancellationToken).ConfigureAwait(false);
                await sender.SendAsync(connection, id, seq, agent, 0, cancellationToken).ConfigureAwait(false);
            }

            unique += p.BurstSize;

            // This burst's ids only: one lost in an earlier burst must not make every later burst wait the timeout.
            context.Progress.Phase = "waiting for replies";
            await MessageWait.ForAsync(recorder, ids, connection, context.ReplyTimeout, cancellationToken).ConfigureAwait(false);

            // The same ids once more, after their replies: the server must replay, not process.
            for (var i = 0; i < p.BurstSize; i++)
            {
                var seq = first + i;
                await sender.SendAsync(connection, Id(context, seq), seq, agent, 0, cancellationToken).ConfigureAwait(false);
            }
        }

        // Let the late repeats' answers arrive (they do not count as outstanding in the ledger).
        await WaitForReplaysAsync(recorder, 2L * unique, connection, context.ReplyTimeout, cancellationToken).ConfigureAwait(false);

        context.Progress.Phase = "checking agent state";
        var state = await connection.QueryAgentStateAsync(agent, context.QueryTimeout, cancellationToken).ConfigureAwait(false);
        var count = state.MessageCount ?? -1;
        var ledger = recorder.Ledger;
        var expected = unique - ledger.Rejected;
        if (state.Corrupted == true)
        {
            // A corrupted state says nothing about idempotency; report it for what it is.
            recorder.AddViolation(ViolationCode.StateCorrupted, "agent_state reported corrupted = true, so message_count cannot show whether repeats were processed.");
            recorder.CheckDelivery(order: true, duplicates: true);
            recorder.CheckUnexpectedCloses();
            return new ScenarioMeasurements();
        }

        // A count above the distinct ids proves a repeat was processed only when the replies show it: a repeat
        // answered by a second reply that is not a marked replay. When every repeat came back as a marked
        // replay, the count is simply wrong (a state mismatch), whatever made it so.
        var answeredAgain = ledger.MessagesAnsweredTwice();
        var processedAgain = count > expected && answeredAgain > 0;
        if (processedAgain)
        {
            recorder.AddViolation(ViolationCode.DuplicateProcessed, FormattableString.Invariant(
                $"agent message_count is {count} for {expected} distinct message_ids sent {ledger.Sent} times, and {answeredAgain} repeated ids were answered again without duplicate=true: repeats were processed again."));
        }
        else if (count > expected)
        {
            recorder.AddViolation(ViolationCode.StateMismatch, FormattableString.Invariant(
                $"agent message_count is {count}, but {expected} distinct messages were accepted; every repeat was answered by a replay marked duplicate, so the count disagrees with what was acknowledged."));
        }
        else if (count >= 0 && count < expected)
        {
            recorder.AddViolation(ViolationCode.StateMismatch, FormattableString.Invariant(
                $"agent message_count is {count}, but {expected} distinct messages were accepted."));
        }

        var notMarked = ledger.RepeatsNotMarked();
        if (!processedAgain && notMarked > 0)
        {
            // message_count is right, but repeats were answered as if new, without duplicate=true.
            recorder.AddViolation(ViolationCode.ReplayNotMarked, FormattableString.Invariant(
                $"{notMarked} repeated message_ids were answered without duplicate=true, though message_count shows they were processed once."));
        }

        // When repeats were processed again, their extra replies are explained by DuplicateProcessed; else extra
        // unmarked replies are the server repeating itself (DuplicateReply), not an idempotency failure.
        recorder.CheckDelivery(order: true, duplicates: !processedAgain && notMarked == 0);
        recorder.CheckUnexpectedCloses();
        recorder.Note(FormattableString.Invariant($"{unique} distinct ids, {ledger.Sent} sends, {ledger.Replays} replays marked duplicate."));

        return new ScenarioMeasurements();
    }

    private static string Id(ScenarioContext context, long seq) =>
        context.RunId + "-idem-" + seq.ToString(CultureInfo.InvariantCulture);

    private static async Task WaitForReplaysAsync(ScenarioRecorder recorder, long expectedReplies, RapidConnection connection, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && connection.IsOpen)
        {
            var ledger = recorder.Ledger;
            if (ledger.Replays + ledger.DuplicateReplies >= expectedReplies)
            {
                return;
            }

            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }
}
