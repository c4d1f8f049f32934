using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Client;
using RapidMessageTools.Protocol;
using RapidMessageTools.Results;

namespace RapidMessageTools.Scenarios;

/// <summary>
/// Floods one agent past its queue capacity: every message must be answered or rejected with
/// queue_full, queue_size must never exceed max_capacity, and the agent must serve again afterwards.
/// </summary>
internal sealed class QueueOverflowScenario : IRapidScenario
{
    public string Name => "QueueOverflow";

    public string Description => "Floods one agent past its queue capacity (read from get_queue_state), then checks it recovers.";

    public string FailsWhen => "a message is neither answered nor rejected; queue_size exceeds capacity; no recovery";

    public RapidScenarioParameters Defaults { get; } = new() { Connections = 1, BurstSize = 5, TimeoutSec = 30 };

    public bool ChecksThroughput => false;

    public bool ChecksLatency => false;


    public bool RejectionsExpected => true;


    public IReadOnlyList<string> Needs { get; } = [MessageType.GetQueueState, MessageType.QueueState, MessageType.Error];


    public string? ChecksById => null;

    public async Task<ScenarioMeasurements> RunAsync(ScenarioContext context, ScenarioRecorder recorder, MessageSender sender, CancellationToken cancellationToken)
    {
        var agent = context.AgentId("flood");
        long maxSeen = 0;
        long overCapacity = 0;
        long capacity = 0;
        var provoked = 0;
        void Observe(ReceivedFrame r)
        {
            var f = r.Frame;
            if (f.Type == MessageType.Error && f.Code == ErrorCode.QueueFull)
            {
                Interlocked.Exchange(ref provoked, 1);
                if (f.QueueSize is long q && f.MaxCapacity is long m && q > m)
                {
                    Interlocked.Increment(ref overCapacity);
                }
            }
        }

        var connection = await recorder.ConnectAsync("flood", Observe, cancellationToken).ConfigureAwait(false);
        var initial = await connection.QueryQueueStateAsync(agent, context.QueryTimeout, cancellationToken).ConfigureAwait(false);
        capacity = initial.MaxCapacity ?? 0;
        if (capacity <= 0)
        {
            capacity = 500;
            recorder.Note("The server's queue_state has no max_capacity; assumed 500.");
        }

        var bound = context.Parameters.MessageCount > 0 ? context.Parameters.MessageCount : (int)Math.Min(int.MaxValue, 4 * capacity);
        context.Log.Verbose($"QueueOverflow: capacity {capacity}; flooding up to {bound} messages.");
        context.Progress.Phase = "flooding";

        using var monitorStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var monitor = Task.Run(
            async () =>
            {
                while (!monitorStop.IsCancellationRequested && connection.IsOpen)
                {
                    try
                    {
                        var qs = await connection.QueryQueueStateAsync(agent, context.QueryTimeout, monitorStop.Token).ConfigureAwait(false);
                        var size = qs.QueueSize ?? 0;
                        InterlockedMax(ref maxSeen, size);
                        if (qs.MaxCapacity is long m && size > m)
                        {
                            Interlocked.Increment(ref overCapacity);
                        }

                        await Task.Delay(20, monitorStop.Token).ConfigureAwait(false);
                    }
                    catch (Exception)
                    {
                        return;
                    }
                }
            },
            CancellationToken.None);

        // Flood: stop soon after the first queue_full (a little past it proves rejections keep coming), or at the bound.
        var afterFull = (int)Math.Max(10, capacity / 10);
        var seq = 0;
        var sentAfterFull = 0;

        // Per message, how many were unanswered when it was sent: the agent's queue held at most that many when it
        // arrived, so a message sent with fewer than capacity unanswered cannot have met a full queue.
        var unansweredAtSend = new List<long>();

        // queue_state asked in the flood itself: the server reads it right after the messages before it, so a queue
        // that fills is seen full even by a server that drops instead of rejecting (no queue_full ever comes).
        var probeEvery = (int)Math.Max(1, capacity / 2);
        var floodProbes = new List<Task<ProtocolFrame>>();
        while (seq < bound && (Volatile.Read(ref provoked) == 0 || sentAfterFull++ < afterFull))
        {
            seq++;
            unansweredAtSend.Add(recorder.Ledger.Outstanding);
            await sender.SendAsync(connection, Id(context, seq), seq, agent, 0, cancellationToken).ConfigureAwait(false);
            if (seq % probeEvery == 0 && floodProbes.Count < 64)
            {
                floodProbes.Add(connection.QueryQueueStateAsync(agent, context.QueryTimeout, cancellationToken));
            }
        }

        foreach (var probe in floodProbes)
        {
            try
            {
                var qs = await probe.ConfigureAwait(false);
                InterlockedMax(ref maxSeen, qs.QueueSize ?? 0);
                if (qs.MaxCapacity is long m && (qs.QueueSize ?? 0) > m)
                {
                    Interlocked.Increment(ref overCapacity);
                }
            }
            catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or System.Net.WebSockets.WebSocketException or ObjectDisposedException)
            {
                // Unanswered or the connection ended: that is reported by the delivery and close checks.
            }
        }

        await WaitDrainedAsync(context, recorder, connection, agent, cancellationToken).ConfigureAwait(false);
        monitorStop.Cancel();
        await monitor.ConfigureAwait(false);

        var overflowProvoked = Volatile.Read(ref provoked) == 1;
        var queueFilled = overflowProvoked || Interlocked.Read(ref maxSeen) >= capacity;

        // A silent drop is a message lost where the queue could have been full: the queue was seen full, and the
        // message was sent while at least capacity messages were unanswered. Any other loss is a missing reply,
        // and so is every loss on a connection that ended (its replies could no longer come).
        var silent = new List<string>();
        if (queueFilled && !connection.EndedUnexpectedly)
        {
            for (var s = 1; s <= seq; s++)
            {
                var id = Id(context, s);
                if (unansweredAtSend[s - 1] >= capacity && !recorder.Ledger.IsSettled(id))
                {
                    silent.Add(id);
                }
            }
        }

        if (silent.Count > 0)
        {
            recorder.AddViolation(ViolationCode.SilentDrop, FormattableString.Invariant(
                $"{silent.Count} of {seq} messages sent while the queue was full were neither answered nor rejected with queue_full (e.g. {string.Join(", ", silent.Take(3))})."));
        }

        if (Interlocked.Read(ref overCapacity) > 0)
        {
            recorder.AddViolation(ViolationCode.QueueOverCapacity, FormattableString.Invariant(
                $"queue_size exceeded max_capacity {capacity} (largest seen {Interlocked.Read(ref maxSeen)})."));
        }

        if (!overflowProvoked)
        {
            recorder.AddViolation(ViolationCode.NotProvoked, FormattableString.Invariant(
                $"no queue_full was seen after {seq} messages (capacity {capacity}): the server drained faster than the flood, so backpressure was not tested. Raise -MessageCount above what the agent drains during the flood (e.g. {Math.Max(seq, 1) * 10}), or test against a slower agent (OverflowProvoked = False).{HubHint(context)}"));
        }

        await CheckRecoveryAsync(context, recorder, sender, connection, agent, seq, cancellationToken).ConfigureAwait(false);
        recorder.CheckDelivery(order: true, duplicates: true);
        ReportOtherLossAsMissing(context, recorder, silent.Count);
        recorder.CheckUnexpectedCloses();

        return new ScenarioMeasurements { OverflowProvoked = overflowProvoked };
    }

    /// <summary>Silent drops are named SilentDrop; MissingReply then counts only the other lost messages, if any.</summary>
    private static void ReportOtherLossAsMissing(ScenarioContext context, ScenarioRecorder recorder, int silent)
    {
        if (silent == 0 || !recorder.HasViolation(ViolationCode.MissingReply))
        {
            return;
        }

        recorder.RemoveViolations(ViolationCode.MissingReply);
        var other = recorder.Ledger.Unanswered - silent;
        if (other > 0)
        {
            recorder.AddViolation(ViolationCode.MissingReply, FormattableString.Invariant(
                $"{other} of {recorder.Ledger.Distinct} messages sent while the queue had room got neither a reply nor a rejection within {context.Parameters.TimeoutSec} s."));
        }
    }

    private static async Task CheckRecoveryAsync(ScenarioContext context, ScenarioRecorder recorder, MessageSender sender, RapidConnection connection, string agent, int lastSeq, CancellationToken cancellationToken)
    {
        context.Progress.Phase = "checking recovery";
        var deadline = Stopwatch.StartNew();
        while (connection.IsOpen && deadline.Elapsed < context.ReplyTimeout)
        {
            var qs = await connection.QueryQueueStateAsync(agent, context.QueryTimeout, cancellationToken).ConfigureAwait(false);
            if ((qs.QueueSize ?? 0) == 0)
            {
                break;
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        var probe = Math.Max(1, context.Parameters.BurstSize);
        var rejectedBefore = recorder.Ledger.Rejected;
        var deliveredBefore = recorder.Ledger.Delivered;
        var ids = new List<string>();
        for (var i = 1; i <= probe && connection.IsOpen; i++)
        {
            ids.Add(Id(context, lastSeq + i));
            await sender.SendAsync(connection, ids[ids.Count - 1], lastSeq + i, agent, 0, cancellationToken).ConfigureAwait(false);
        }

        // Wait for these probes only: messages dropped earlier will never settle.
        var wait = Stopwatch.StartNew();
        while (connection.IsOpen && wait.Elapsed < context.ReplyTimeout && !ids.TrueForAll(recorder.Ledger.IsSettled))
        {
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
        var answered = recorder.Ledger.Delivered - deliveredBefore;
        if (!connection.IsOpen)
        {
            // The connection's end is reported as UnexpectedClose; recovery was not checked, so nothing is claimed about it.
            recorder.Note(FormattableString.Invariant($"The connection ended before recovery could be checked ({answered} of {ids.Count} recovery messages answered)."));
        }
        else if (answered == 0)
        {
            // Not served at all after draining: no recovery. (Some answered and some lost is a missing reply, counted by the delivery check.)
            recorder.AddViolation(ViolationCode.NoRecovery, FormattableString.Invariant(
                $"after the queue drained, none of {probe} new messages was answered ({recorder.Ledger.Rejected - rejectedBefore} rejected)."));
        }
    }

    /// <summary>
    /// Waits until every message is settled, or the agent's queue is empty and nothing has been
    /// answered for half a second (what is still outstanding then was dropped), or the timeout.
    /// </summary>
    private static async Task WaitDrainedAsync(ScenarioContext context, ScenarioRecorder recorder, RapidConnection connection, string agent, CancellationToken cancellationToken)
    {
        context.Progress.Phase = "waiting for the queue to drain";
        var ledger = recorder.Ledger;
        var quiet = Stopwatch.Frequency / 2;
        var deadline = Stopwatch.StartNew();
        while (ledger.Outstanding > 0 && connection.IsOpen && deadline.Elapsed < context.ReplyTimeout)
        {
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            if (Stopwatch.GetTimestamp() - ledger.LastAnswerTimestamp < quiet)
            {
                continue;
            }

            var qs = await connection.QueryQueueStateAsync(agent, context.QueryTimeout, cancellationToken).ConfigureAwait(false);
            if ((qs.QueueSize ?? 0) == 0 && Stopwatch.GetTimestamp() - ledger.LastAnswerTimestamp >= quiet)
            {
                return;
            }
        }
    }

    private static string Id(ScenarioContext context, long seq) =>
        context.RunId + "-flood-" + seq.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while (value > (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    /// <summary>
    /// ASP.NET Core runs one client's hub invocations one at a time: a hub method that awaits the agent's work
    /// lets one message of a connection in at a time, so its queue never fills. Said so, rather than leaving
    /// the reader to suspect the backend's queue.
    /// </summary>
    private static string HubHint(ScenarioContext context) =>
        context.Profile.Transport == Protocol.Profiles.ProfileTransport.SignalR
            ? " On SignalR, the hub runs one invocation per connection at a time (MaximumParallelInvocationsPerClient = 1): if its send method awaits the agent's work, a connection never has more than one message queued; make the method enqueue and return."
            : string.Empty;
}
