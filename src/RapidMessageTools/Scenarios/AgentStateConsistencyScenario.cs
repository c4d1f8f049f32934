using System.Collections.Generic;
using System;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Results;
using RapidMessageTools.Protocol;

namespace RapidMessageTools.Scenarios;

/// <summary>
/// Rapid updates interleaved with state queries: after each small burst is acknowledged, agent_state
/// must show exactly the acknowledged count and the last message, and never be corrupted.
/// </summary>
internal sealed class AgentStateConsistencyScenario : IRapidScenario
{
    public string Name => "AgentStateConsistency";

    public string Description => "Rapid updates interleaved with agent_state queries on one connection.";

    public string FailsWhen => "state disagrees with what was acknowledged, or reports corrupted";

    public RapidScenarioParameters Defaults { get; } = new() { MessageCount = 200, BurstSize = 5, Connections = 1, TimeoutSec = 10 };

    public bool ChecksThroughput => false;

    public bool ChecksLatency => true;


    public bool RejectionsExpected => false;


    public IReadOnlyList<string> Needs { get; } = [MessageType.GetAgentState, MessageType.AgentState];


    public string? ChecksById => null;

    public async Task<ScenarioMeasurements> RunAsync(ScenarioContext context, ScenarioRecorder recorder, MessageSender sender, CancellationToken cancellationToken)
    {
        var p = context.Parameters;
        var agent = context.AgentId("state");
        var connection = await recorder.ConnectAsync("state", null, cancellationToken).ConfigureAwait(false);
        var ledger = recorder.Ledger;
        long mismatches = 0;
        long corrupted = 0;
        long checks = 0;
        string? firstMismatch = null;
        var seq = 0;
        var lastId = string.Empty;
        while (seq < p.MessageCount && connection.IsOpen)
        {
            context.Progress.Phase = $"updates {seq + 1}-{Math.Min(p.MessageCount, seq + p.BurstSize)}";
            for (var i = 0; i < p.BurstSize && seq < p.MessageCount; i++)
            {
                seq++;
                lastId = context.RunId + "-state-" + seq.ToString(CultureInfo.InvariantCulture);
                await sender.SendAsync(connection, lastId, seq, agent, 0, cancellationToken).ConfigureAwait(false);
            }

            if (!await recorder.WaitForRepliesAsync(connection, cancellationToken).ConfigureAwait(false))
            {
                break;
            }

            // Everything sent is acknowledged now; state must say exactly that.
            var state = await connection.QueryAgentStateAsync(agent, context.QueryTimeout, cancellationToken).ConfigureAwait(false);
            checks++;
            var acknowledged = ledger.Delivered;
            var lastAnswered = ledger.IsAnswered(lastId);
            if (state.Corrupted == true)
            {
                // The server says this answer is not to be trusted: StateCorrupted, not a mismatch on top.
                corrupted++;
                continue;
            }

            var countWrong = state.MessageCount != acknowledged;
            var lastWrong = lastAnswered && state.LastMessageId is not null && state.LastMessageId != lastId;
            var seqWrong = lastAnswered && state.LastSequenceId is long ls && ls != seq;
            if (countWrong || lastWrong || seqWrong)
            {
                mismatches++;
                firstMismatch ??= FormattableString.Invariant(
                    $"after {acknowledged} acknowledged messages (last {lastId}, sequence {seq}) agent_state said message_count {state.MessageCount}, last_message_id {state.LastMessageId}, last_sequence_id {state.LastSequenceId}");
            }
        }

        if (corrupted > 0)
        {
            recorder.AddViolation(ViolationCode.StateCorrupted, FormattableString.Invariant($"{corrupted} of {checks} agent_state answers had corrupted = true."));
        }

        if (mismatches > 0)
        {
            recorder.AddViolation(ViolationCode.StateMismatch, FormattableString.Invariant($"{mismatches} of {checks} agent_state answers disagreed with what was acknowledged; first: {firstMismatch}."));
        }

        recorder.CheckDelivery();
        recorder.CheckUnexpectedCloses();

        return new ScenarioMeasurements();
    }
}
