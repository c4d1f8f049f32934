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

    public string Description => "Floods one agent past its queue capacity (read from get_queue_state), from one connection or from -Connections of the same user at once, then checks it recovers.";

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
        var watch = new QueueWatch();
        var connections = new List<RapidConnection>();
        for (var c = 0; c < Math.Max(1, context.Parameters.Connections); c++)
        {
            // Every connection is the same user's: a real overload comes from many of them at once.
            connections.Add(await recorder.ConnectAsync("flood", watch.Observe, cancellationToken).ConfigureAwait(false));
        }

        var connection = connections[0];
        watch.Capacity = await QueueCapacityAsync(context, recorder, connection, agent, cancellationToken).ConfigureAwait(false);
        var bound = context.Parameters.MessageCount > 0 ? context.Parameters.MessageCount : (int)Math.Min(int.MaxValue, 4 * watch.Capacity);
        context.Log.Verbose($"QueueOverflow: capacity {watch.Capacity}; flooding up to {bound} messages from {connections.Count} connection(s).");
        context.Progress.Phase = "flooding";

        using var monitorStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var monitor = Task.Run(() => MonitorAsync(context, connection, agent, watch, monitorStop.Token), CancellationToken.None);
        var flood = await FloodAsync(context, recorder, sender, connections, agent, watch, bound, cancellationToken).ConfigureAwait(false);
        await WaitDrainedAsync(context, recorder, connection, agent, cancellationToken).ConfigureAwait(false);
        monitorStop.Cancel();
        await monitor.ConfigureAwait(false);

        var silent = SilentDrops(context, recorder, connections, watch, flood);
        Report(context, recorder, watch, flood.Sent, silent);
        await CheckRecoveryAsync(context, recorder, sender, connection, agent, flood.Sent, cancellationToken).ConfigureAwait(false);
        recorder.CheckDelivery(order: true, duplicates: true);
        ReportOtherLossAsMissing(context, recorder, silent.Count);
        recorder.CheckUnexpectedCloses();
        return new ScenarioMeasurements { OverflowProvoked = watch.Provoked };
    }

    /// <summary>The agent's queue capacity from queue_state (500 when it has no max_capacity).</summary>
    private static async Task<long> QueueCapacityAsync(ScenarioContext context, ScenarioRecorder recorder, RapidConnection connection, string agent, CancellationToken cancellationToken)
    {
        var initial = await connection.QueryQueueStateAsync(agent, context.QueryTimeout, cancellationToken).ConfigureAwait(false);
        if (initial.MaxCapacity is long capacity && capacity > 0)
        {
            return capacity;
        }

        recorder.Note("The server's queue_state has no max_capacity; assumed 500.");
        return 500;
    }

    /// <summary>Asks queue_state every 20 ms during the flood: the largest queue_size seen, and any over capacity.</summary>
    private static async Task MonitorAsync(ScenarioContext context, RapidConnection connection, string agent, QueueWatch watch, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested && connection.IsOpen)
        {
            try
            {
                watch.Record(await connection.QueryQueueStateAsync(agent, context.QueryTimeout, stop).ConfigureAwait(false));
                await Task.Delay(20, stop).ConfigureAwait(false);
            }
            catch (Exception)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Floods until soon after the first queue_full (a little past it proves rejections keep coming), or to the bound,
    /// from every connection at once (one shared sequence). Notes per message how many were unanswered when it was
    /// sent (the agent's queue held at most that many when it arrived), and asks queue_state inside the flood, where
    /// the server reads it right after the messages before it, so a queue that fills is seen full even by a server
    /// that drops instead of rejecting.
    /// </summary>
    private static async Task<Flood> FloodAsync(ScenarioContext context, ScenarioRecorder recorder, MessageSender sender, IReadOnlyList<RapidConnection> connections, string agent, QueueWatch watch, int bound, CancellationToken cancellationToken)
    {
        var afterFull = (int)Math.Max(10, watch.Capacity / 10);
        var probeEvery = (int)Math.Max(1, watch.Capacity / 2);
        var flood = new Flood(bound);
        var probes = new List<Task<ProtocolFrame>>();
        var sentAfterFull = 0;
        async Task FloodFrom(RapidConnection connection)
        {
            while (connection.IsOpen && (!watch.Provoked || Interlocked.Increment(ref sentAfterFull) <= afterFull))
            {
                var seq = flood.Take();
                if (seq > bound)
                {
                    return;
                }

                flood.UnansweredAtSend[seq - 1] = recorder.Ledger.Outstanding;
                await sender.SendAsync(connection, Id(context, seq), seq, agent, 0, cancellationToken).ConfigureAwait(false);
                if (seq % probeEvery == 0)
                {
                    lock (probes)
                    {
                        if (probes.Count < 64)
                        {
                            probes.Add(connection.QueryQueueStateAsync(agent, context.QueryTimeout, cancellationToken));
                        }
                    }
                }
            }
        }

        await Task.WhenAll(connections.Select(FloodFrom)).ConfigureAwait(false);
        foreach (var probe in probes)
        {
            try
            {
                watch.Record(await probe.ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or System.Net.WebSockets.WebSocketException or ObjectDisposedException)
            {
                // Unanswered or the connection ended: that is reported by the delivery and close checks.
            }
        }

        return flood;
    }

    /// <summary>
    /// A silent drop is a message lost where the queue could have been full: the queue was seen full, and the
    /// message was sent while at least capacity messages were unanswered. Any other loss is a missing reply,
    /// and so is every loss on a connection that ended (its replies could no longer come).
    /// </summary>
    private static List<string> SilentDrops(ScenarioContext context, ScenarioRecorder recorder, IReadOnlyList<RapidConnection> connections, QueueWatch watch, Flood flood)
    {
        var silent = new List<string>();
        if (!watch.Filled || connections.Any(c => c.EndedUnexpectedly))
        {
            return silent;
        }

        // From several connections at once, messages overtake each other on the way, so a message sent with fewer
        // than capacity unanswered might still have met a full queue; the evidence cannot say, so such a loss stays a
        // missing reply, the weaker claim.
        for (var s = 1; s <= flood.Sent; s++)
        {
            var id = Id(context, s);
            if (flood.UnansweredAtSend[s - 1] >= watch.Capacity && !recorder.Ledger.IsSettled(id))
            {
                silent.Add(id);
            }
        }

        return silent;
    }

    /// <summary>The flood's findings: silent drops, a queue over capacity, or a flood that never provoked queue_full.</summary>
    private static void Report(ScenarioContext context, ScenarioRecorder recorder, QueueWatch watch, int sent, List<string> silent)
    {
        if (silent.Count > 0)
        {
            recorder.AddViolation(ViolationCode.SilentDrop, FormattableString.Invariant(
                $"{silent.Count} of {sent} messages sent while the queue was full were neither answered nor rejected with queue_full (e.g. {string.Join(", ", silent.Take(3))})."));
        }

        if (watch.OverCapacity > 0)
        {
            recorder.AddViolation(ViolationCode.QueueOverCapacity, FormattableString.Invariant(
                $"queue_size exceeded max_capacity {watch.Capacity} (largest seen {watch.MaxSeen})."));
        }

        if (!watch.Provoked)
        {
            recorder.AddViolation(ViolationCode.NotProvoked, FormattableString.Invariant(
                $"no queue_full was seen after {sent} messages (capacity {watch.Capacity}): the server drained faster than the flood, so backpressure was not tested. Raise -MessageCount above what the agent drains during the flood (e.g. {Math.Max(sent, 1) * 10}), or test against a slower agent (OverflowProvoked = False).{HubHint(context)}"));
        }
    }

    /// <summary>What the flood sent: how many (one sequence over all its connections), and per message how many were unanswered when it left.</summary>
    private sealed class Flood(int bound)
    {
        private int _taken;

        /// <summary>Messages sent: the sequence numbers taken, up to the bound.</summary>
        public int Sent => Math.Min(Volatile.Read(ref _taken), UnansweredAtSend.Length);

        public long[] UnansweredAtSend { get; } = new long[bound];

        /// <summary>The next sequence number (past the bound when the flood is over).</summary>
        public int Take() => Interlocked.Increment(ref _taken);
    }

    /// <summary>What the run saw of the agent's queue: queue_full (and any over capacity in it), and queue_state sizes.</summary>
    private sealed class QueueWatch
    {
        private long _maxSeen;
        private long _overCapacity;
        private int _provoked;

        public long Capacity { get; set; }

        public bool Provoked => Volatile.Read(ref _provoked) == 1;

        public long MaxSeen => Interlocked.Read(ref _maxSeen);

        public long OverCapacity => Interlocked.Read(ref _overCapacity);

        /// <summary>The queue was full: queue_full came, or queue_state showed it at capacity.</summary>
        public bool Filled => Provoked || MaxSeen >= Capacity;

        public void Observe(ReceivedFrame r)
        {
            var f = r.Frame;
            if (f.Type == MessageType.Error && f.Code == ErrorCode.QueueFull)
            {
                Interlocked.Exchange(ref _provoked, 1);
                if (f.QueueSize is long q && f.MaxCapacity is long m && q > m)
                {
                    Interlocked.Increment(ref _overCapacity);
                }
            }
        }

        public void Record(ProtocolFrame queueState)
        {
            var size = queueState.QueueSize ?? 0;
            InterlockedMax(ref _maxSeen, size);
            if (queueState.MaxCapacity is long m && size > m)
            {
                Interlocked.Increment(ref _overCapacity);
            }
        }
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
