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
/// A user presses stop and types again, fast: on several agents at once, most replies are cancelled at a
/// random point of their stream (before it starts, or after a few chunks) and the next message follows at
/// once. A cancelled stream must stop (a final marked cancelled, or unknown_message when it had already
/// ended), must be closed by a final frame, and the message after it must be served.
/// </summary>
internal sealed class StreamCancelScenario : IRapidScenario
{
    /// <summary>Share of messages cancelled.</summary>
    private const double CancelShare = 0.7;

    /// <summary>A cancel waits for 0 to this many chunks before it is sent (0 = right after the send, usually while queued).</summary>
    private const int MaxChunksBeforeCancel = 3;

    public string Name => "StreamCancel";

    public string Description => "Cancels streamed replies at random points on several agents at once, sending the next message right after each cancel.";

    public string FailsWhen => "a cancelled stream keeps sending past MaxChunkGap or runs to an ordinary final, is not closed by a final frame, or the message after a cancel is not served";

    public RapidScenarioParameters Defaults { get; } = new() { MessageCount = 30, Agents = 3, Connections = 1, TimeoutSec = 10 };

    public bool ChecksThroughput => false;

    public bool ChecksLatency => false;


    public bool RejectionsExpected => false;


    public IReadOnlyList<string> Needs { get; } = [MessageType.Cancel, MessageType.AiResponseChunk];


    public string? ChecksById => null;

    public async Task<ScenarioMeasurements> RunAsync(ScenarioContext context, ScenarioRecorder recorder, MessageSender sender, CancellationToken cancellationToken)
    {
        var p = context.Parameters;
        var agents = Math.Max(1, p.Agents);
        var probes = new ConcurrentDictionary<string, Probe>(StringComparer.Ordinal);
        var connection = await recorder.ConnectAsync("cancel", f => OnFrame(probes, f), cancellationToken).ConfigureAwait(false);
        context.Progress.Phase = "sending and cancelling";
        context.Log.Verbose($"StreamCancel: {p.MessageCount} messages to {agents} agents, about {CancelShare:P0} cancelled at random points.");
        var seed = StableSeed(context.RunId);
        await Task.WhenAll(Enumerable.Range(0, agents).Select(a =>
            RunAgentAsync(context, recorder, sender, connection, probes, a, BenchmarkScenario.ShardShare(p.MessageCount, a + 1, agents), new Random(seed + a), cancellationToken))).ConfigureAwait(false);
        await recorder.WaitForRepliesAsync(connection, cancellationToken).ConfigureAwait(false);
        await WaitForCancelAnswersAsync(context, probes.Values, cancellationToken).ConfigureAwait(false);
        Check(context, recorder, probes);
        recorder.CheckStreams();
        recorder.CheckDelivery();
        recorder.CheckUnexpectedCloses();
        StreamingScenario.CheckStreamed(recorder);

        return new ScenarioMeasurements();
    }

    private static async Task RunAgentAsync(ScenarioContext context, ScenarioRecorder recorder, MessageSender sender, RapidConnection connection, ConcurrentDictionary<string, Probe> probes, int agentIndex, int count, Random random, CancellationToken cancellationToken)
    {
        var key = "cancel" + agentIndex.ToString(CultureInfo.InvariantCulture);
        var agentId = context.AgentId(key);
        var previousCancelled = false;
        for (var seq = 1L; seq <= count; seq++)
        {
            var id = context.RunId + "-" + key + "-" + seq.ToString(CultureInfo.InvariantCulture);
            var cancel = random.NextDouble() < CancelShare;
            var probe = new Probe(cancel ? random.Next(MaxChunksBeforeCancel + 1) : int.MaxValue, previousCancelled);
            probes[id] = probe;
            await sender.SendAsync(connection, id, seq, agentId, 0, cancellationToken).ConfigureAwait(false);
            previousCancelled = false;
            if (!cancel)
            {
                continue;
            }

            await probe.WaitForCancelPointAsync(context.ReplyTimeout, cancellationToken).ConfigureAwait(false);
            if (probe.FinalSeen)
            {
                continue;
            }

            probe.CancelSent = Stopwatch.GetTimestamp();
            await connection.SendCancelAsync(id, cancellationToken).ConfigureAwait(false);
            previousCancelled = true;
        }
    }

    /// <summary>After the replies: the unknown_message answers to cancels that came after a final, briefly (they follow that final at once).</summary>
    private static async Task WaitForCancelAnswersAsync(ScenarioContext context, ICollection<Probe> probes, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        var limit = TimeSpan.FromSeconds(Math.Min(context.Parameters.TimeoutSec, 2));
        while (deadline.Elapsed < limit && probes.Any(p => p.Cancelled && !p.Answered))
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    private static void Check(ScenarioContext context, ScenarioRecorder recorder, ConcurrentDictionary<string, Probe> probes)
    {
        var bound = context.Thresholds.MaxChunkGap;
        long cancels = 0, tooLate = 0, ignored = 0, overran = 0, notClosed = 0, followers = 0, notServed = 0;
        string? ignoredExample = null, overranExample = null, notClosedExample = null, notServedExample = null;
        var ordered = probes.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToArray();
        var unclosed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (id, probe) in ordered.Select(kv => (kv.Key, kv.Value)))
        {
            if (!probe.Cancelled)
            {
                continue;
            }

            cancels++;
            if (probe.UnknownMessage)
            {
                tooLate++;
            }

            if (probe.FinalSeen && !probe.FinalCancelled && !probe.UnknownMessage)
            {
                ignored++;
                ignoredExample ??= FormattableString.Invariant($"{id} ran to an ordinary final of {probe.Chunks} chunks, {probe.ChunksAfterCancel} after the cancel, and the cancel got no unknown_message");
            }
            else if (!probe.FinalSeen && !probe.UnknownMessage)
            {
                notClosed++;
                notClosedExample ??= FormattableString.Invariant($"{id} after {probe.Chunks} chunks");
                unclosed.Add(id);
                recorder.Ledger.Streams.Forget(id);
            }

            var late = probe.LastChunkAfterCancel == 0 ? 0 : (probe.LastChunkAfterCancel - probe.CancelSent) / (double)Stopwatch.Frequency;
            if (late > bound)
            {
                overran++;
                overranExample ??= FormattableString.Invariant($"{id} sent a chunk {late:0.###} s after the cancel");
            }
        }

        // The message typed right after a cancel must be served: a reply, a rejection, or at least its stream
        // begun. One that was cancelled in turn and never closed is already counted above.
        foreach (var (id, probe) in ordered.Select(kv => (kv.Key, kv.Value)))
        {
            if (!probe.FollowsCancel || unclosed.Contains(id))
            {
                continue;
            }

            followers++;
            if (!recorder.Ledger.IsSettled(id) && probe.Chunks == 0)
            {
                notServed++;
                notServedExample ??= id;
            }
        }

        if (ignored + overran > 0)
        {
            var parts = new List<string>();
            if (ignored > 0)
            {
                parts.Add(FormattableString.Invariant($"{ignored} cancelled streams ran on to an ordinary final, though the server never said they had ended (e.g. {ignoredExample})"));
            }

            if (overran > 0)
            {
                parts.Add(FormattableString.Invariant($"{overran} cancelled streams kept sending chunks more than {bound:0.###} s (MaxChunkGap) after the cancel (e.g. {overranExample})"));
            }

            recorder.AddViolation(ViolationCode.CancelIgnored, string.Join("; ", parts) + ".");
        }

        if (notClosed > 0)
        {
            recorder.AddViolation(ViolationCode.CancelNotClosed, FormattableString.Invariant(
                $"{notClosed} of {cancels} cancelled streams got no final frame (cancelled or not) and no unknown_message within {context.Parameters.TimeoutSec} s (e.g. {notClosedExample})."));
        }

        if (notServed > 0)
        {
            recorder.AddViolation(ViolationCode.NextNotServed, FormattableString.Invariant(
                $"{notServed} of {followers} messages sent right after a cancel got no reply and no rejection (e.g. {notServedExample})."));
        }

        recorder.Note(FormattableString.Invariant(
            $"{cancels} cancels sent: {recorder.Ledger.Streams.Cancelled} streams ended cancelled, {tooLate} cancels came after their stream had ended (unknown_message)."));
        if (cancels == 0)
        {
            recorder.AddViolation(ViolationCode.NotProvoked, "no cancel was sent (every reply ended before its cancel point): raise -MessageCount or use a backend whose streams last longer.");
        }
        else if (tooLate == cancels)
        {
            recorder.AddViolation(ViolationCode.NotProvoked, FormattableString.Invariant(
                $"all {cancels} cancels came after their stream had ended (unknown_message), so no stream was stopped: use longer streams (the mock's -ChunkInterval)."));
        }
    }

    private static void OnFrame(ConcurrentDictionary<string, Probe> probes, ReceivedFrame received)
    {
        var f = received.Frame;
        if (f.MessageId is null || !probes.TryGetValue(f.MessageId, out var probe))
        {
            return;
        }

        switch (f.Type)
        {
            case MessageType.AiResponseChunk:
                probe.OnChunk(received.ReceivedTimestamp);
                break;
            case MessageType.AiResponse when !f.Duplicate:
                probe.OnFinal(f.Cancelled);
                break;
            case MessageType.Error when f.Code == ErrorCode.UnknownMessage:
                probe.OnUnknownMessage();
                break;
        }
    }

    /// <summary>A deterministic seed from the run id, so a run's cancel points can be told from its id.</summary>
    private static int StableSeed(string runId)
    {
        var h = 17;
        foreach (var c in runId)
        {
            h = unchecked((h * 31) + c);
        }

        return h & 0x3fffffff;
    }

    /// <summary>What one message's stream did around its cancel. Written by the receive loop, read by the sender and the checks.</summary>
    private sealed class Probe(int cancelAfterChunks, bool followsCancel)
    {
        private readonly TaskCompletionSource<bool> _cancelPoint = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _cancelSent;
        private int _chunks;
        private int _chunksAfterCancel;
        private long _lastChunkAfterCancel;
        private int _final;
        private int _finalCancelled;
        private int _unknown;

        /// <summary>The message was sent right after a cancelled one on the same agent.</summary>
        public bool FollowsCancel { get; } = followsCancel;

        public long CancelSent
        {
            get => Interlocked.Read(ref _cancelSent);
            set => Interlocked.Exchange(ref _cancelSent, value);
        }

        public bool Cancelled => CancelSent != 0;

        public int Chunks => Volatile.Read(ref _chunks);

        public int ChunksAfterCancel => Volatile.Read(ref _chunksAfterCancel);

        public long LastChunkAfterCancel => Interlocked.Read(ref _lastChunkAfterCancel);

        public bool FinalSeen => Volatile.Read(ref _final) != 0;

        public bool FinalCancelled => Volatile.Read(ref _finalCancelled) != 0;

        public bool UnknownMessage => Volatile.Read(ref _unknown) != 0;

        /// <summary>The cancel's outcome is known: a final marked cancelled, or unknown_message.</summary>
        public bool Answered => FinalCancelled || UnknownMessage;

        public Task WaitForCancelPointAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            if (cancelAfterChunks == 0)
            {
                return Task.CompletedTask;
            }

            return Task.WhenAny(_cancelPoint.Task, Task.Delay(timeout, cancellationToken));
        }

        public void OnChunk(long timestamp)
        {
            if (Interlocked.Increment(ref _chunks) >= cancelAfterChunks)
            {
                _cancelPoint.TrySetResult(true);
            }

            if (CancelSent != 0)
            {
                Interlocked.Increment(ref _chunksAfterCancel);
                Interlocked.Exchange(ref _lastChunkAfterCancel, timestamp);
            }
        }

        public void OnFinal(bool cancelled)
        {
            if (cancelled)
            {
                Volatile.Write(ref _finalCancelled, 1);
            }

            Volatile.Write(ref _final, 1);
            _cancelPoint.TrySetResult(true);
        }

        public void OnUnknownMessage() => Volatile.Write(ref _unknown, 1);
    }
}
