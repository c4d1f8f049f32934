using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Client;
using RapidMessageTools.Load;
using RapidMessageTools.Metrics;
using RapidMessageTools.Protocol;

namespace RapidMessageTools.Scenarios;

/// <summary>
/// How a run sends: each user message entered in the recorder's ledger before it leaves, the in-flight
/// window per connection (bounded by the agent's queue), back-to-back streams, and paced streams at
/// intended times (one pacing thread for the run, no coordinated omission). Counts the sends that left late.
/// </summary>
public sealed class MessageSender
{
    /// <summary>
    /// Messages in flight over the whole run when sending back-to-back without -MaxInFlight: each connection's window
    /// is its share, so the ledger's outstanding entries (and the memory they take) do not multiply with the users.
    /// </summary>
    internal const int InFlightBudget = 32_768;

    private readonly ScenarioContext _context;
    private readonly ScenarioRecorder _recorder;
    private readonly Dictionary<long, SemaphoreSlim> _gates = new();
    private long _lateSends;

    public MessageSender(ScenarioContext context, ScenarioRecorder recorder)
    {
        _context = context ?? throw new ArgumentNullException(nameof(context));
        _recorder = recorder ?? throw new ArgumentNullException(nameof(recorder));
        // A reply or rejection frees a place in its connection's window.
        recorder.Settled = connectionId => Gate(connectionId)?.Release();
    }

    /// <summary>Sends that left more than <see cref="RatePacer.LateTolerance"/> after their intended time.</summary>
    public long LateSends => Interlocked.Read(ref _lateSends);

    /// <summary>Paces this run's fixed-rate streams, all from one thread.</summary>
    internal RatePacer Pacer { get; } = new();

    /// <summary>The start of this run's paced load, shared by its streams.</summary>
    internal LoadClock LoadClock { get; } = new();

    /// <summary>Limits a connection to <paramref name="maxInFlight"/> unanswered messages (set before its first send).</summary>
    public void SetWindow(RapidConnection connection, int maxInFlight)
    {
        if (connection is null)
        {
            throw new ArgumentNullException(nameof(connection));
        }

        lock (_gates)
        {
            _gates[connection.Id] = new SemaphoreSlim(maxInFlight, maxInFlight);
        }
    }

    /// <summary>
    /// Back-to-back sending keeps at most half the agent's queue (from queue_state max_capacity) in flight
    /// per connection, so a scenario measures service, not queue_full, and the run as a whole at most
    /// <see cref="InFlightBudget"/>. At a fixed rate (open loop) nothing is limited. Returns the window set
    /// (0: none); <paramref name="totalConnections"/> counts connections still to come (a ramp), which then take the same window.
    /// </summary>
    public async Task<int> LimitToQueueAsync(IReadOnlyList<RapidConnection> connections, string? agentId, CancellationToken cancellationToken, int totalConnections = 0)
    {
        if (connections is null)
        {
            throw new ArgumentNullException(nameof(connections));
        }

        if (_context.Parameters.Rate > 0 || _context.Parameters.Stages.Length > 0 || connections.Count == 0)
        {
            return 0;
        }

        if (_context.Parameters.MaxInFlight > 0)
        {
            foreach (var c in connections)
            {
                SetWindow(c, _context.Parameters.MaxInFlight);
            }

            return _context.Parameters.MaxInFlight;
        }

        var capacity = await QueueCapacityAsync(connections[0], agentId, cancellationToken).ConfigureAwait(false);
        var count = Math.Max(connections.Count, totalConnections);
        var half = (int)Math.Max(1, Math.Min(1000, capacity / 2));
        var window = Math.Max(1, Math.Min(half, InFlightBudget / count));
        foreach (var c in connections)
        {
            SetWindow(c, window);
        }

        _recorder.Note(window < half
            ? FormattableString.Invariant($"At most {window} messages in flight per connection ({InFlightBudget} over the run's {count} connections; half the agent's queue capacity would be {half}).")
            : FormattableString.Invariant($"At most {window} messages in flight per connection (half the agent's queue capacity)."));
        return window;
    }

    /// <summary>The agent's queue capacity from queue_state; 500 when the backend does not say.</summary>
    private async Task<long> QueueCapacityAsync(RapidConnection connection, string? agentId, CancellationToken cancellationToken)
    {
        const long assumed = 500;
        if (!_context.Profile.Supports(MessageType.GetQueueState))
        {
            _recorder.Note($"The profile {_context.Profile.Name} has no get_queue_state: assumed a queue capacity of {assumed}.");
            return assumed;
        }

        try
        {
            var qs = await connection.QueryQueueStateAsync(agentId, _context.QueryTimeout, cancellationToken).ConfigureAwait(false);
            return qs.MaxCapacity ?? assumed;
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            // No answer, or an error answer (a hub's failed Completion): the default stands.
            _recorder.Note(FormattableString.Invariant($"No queue_state answer ({ex.Message}): assumed a queue capacity of {assumed}."));
            return assumed;
        }
    }

    /// <summary>Sends one user_message, entered in the ledger first so a fast reply always finds it.</summary>
    public async Task SendAsync(RapidConnection connection, string messageId, long sequenceId, string? agentId, long intendedTimestamp, CancellationToken cancellationToken)
    {
        if (connection is null)
        {
            throw new ArgumentNullException(nameof(connection));
        }

        var gate = Gate(connection.Id);
        if (gate is not null && !gate.Wait(0))
        {
            // Bounded wait: a connection that stops answering or ends must not hang the run.
            var waited = Stopwatch.StartNew();
            while (!await gate.WaitAsync(100, cancellationToken).ConfigureAwait(false))
            {
                if (!connection.IsOpen)
                {
                    throw new System.Net.WebSockets.WebSocketException(System.Net.WebSockets.WebSocketError.ConnectionClosedPrematurely, "The connection ended while messages were in flight.");
                }

                if (waited.Elapsed > _context.ReplyTimeout)
                {
                    throw new TimeoutException(FormattableString.Invariant($"No reply freed the in-flight window within {_context.Parameters.TimeoutSec} s."));
                }
            }
        }

        var now = Stopwatch.GetTimestamp();
        _recorder.Ledger.RecordSend(messageId, sequenceId, new MessageStream(connection.Id, agentId), now, intendedTimestamp == 0 ? now : intendedTimestamp);
        _context.Progress.AddSent();
        await connection.SendUserMessageAsync(messageId, sequenceId, "Rapid message " + sequenceId.ToString(CultureInfo.InvariantCulture), agentId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends <paramref name="count"/> messages on one connection: back-to-back, or at <paramref name="ratePerSecond"/> from intended times.</summary>
    public async Task SendStreamAsync(RapidConnection connection, string? agentId, string idPrefix, int count, double ratePerSecond, CancellationToken cancellationToken, long firstSequence = 1)
    {
        if (ratePerSecond <= 0)
        {
            for (var i = 0; i < count; i++)
            {
                var seq = firstSequence + i;
                await SendAsync(connection, idPrefix + "-" + seq.ToString(CultureInfo.InvariantCulture), seq, agentId, 0, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        await SendPlannedAsync(connection, agentId, idPrefix, ArrivalStream.Constant(ratePerSecond, count), cancellationToken, firstSequence).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends at the times <paramref name="arrivals"/> gives (a share of a <see cref="LoadPlan"/>); latency counts from them.
    /// The times count from the run's shared load clock, or with <paramref name="ownStart"/> from this stream's own start
    /// (a user who joins a ramp part way through).
    /// </summary>
    internal async Task<PacedOutcome> SendPlannedAsync(RapidConnection connection, string? agentId, string idPrefix, ArrivalStream arrivals, CancellationToken cancellationToken, long firstSequence = 1, bool ownStart = false)
    {
        var stream = new PacedStream(
            (seq, intended, ct) => SendAsync(connection, idPrefix + "-" + seq.ToString(CultureInfo.InvariantCulture), seq, agentId, intended, ct),
            firstSequence,
            arrivals,
            ownStart ? null : LoadClock,
            cancellationToken);
        var outcome = await Pacer.Add(stream).ConfigureAwait(false);
        Interlocked.Add(ref _lateSends, outcome.Late);
        return outcome;
    }

    /// <summary>The run's load plan (null: back-to-back); a staged load marks its stages on the timeline.</summary>
    internal LoadPlan? PlanLoad()
    {
        var p = _context.Parameters;
        var plan = LoadPlan.From(new LoadShape(p.Stages, p.Rate, p.Duration, p.Arrival, p.Seed), _context.ShardIndex, _context.ShardCount, LoadClock);
        if (plan is { IsTimed: true })
        {
            _context.Progress.LoadSeconds = plan.Schedule.TotalSeconds;
            _context.Progress.LoadStart = () => LoadClock.Start;
        }

        if (plan is { IsStaged: true } && _recorder.Ledger.Timeline is { } timeline)
        {
            timeline.SetStages(at => LoadClock.Start == 0 ? 0 : plan.Schedule.StageAt((at - WallClock.At(LoadClock.Start)).TotalSeconds));
        }

        return plan;
    }

    private SemaphoreSlim? Gate(long connectionId)
    {
        lock (_gates)
        {
            return _gates.TryGetValue(connectionId, out var gate) ? gate : null;
        }
    }
}
