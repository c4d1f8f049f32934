using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Client;
using RapidMessageTools.Load;
using RapidMessageTools.Metrics;
using RapidMessageTools.Protocol;
using RapidMessageTools.Results;

namespace RapidMessageTools.Scenarios;

/// <summary>
/// Records what a run observes: every frame of every connection it opens goes through here into the
/// <see cref="DeliveryLedger"/> (<see cref="MatchToMessage"/>, the one place a reply meets its message),
/// with the checks over it and the findings, notes and drops of the run. It sends nothing: that is
/// <see cref="MessageSender"/>'s. Closes every connection at the end, whatever happened.
/// </summary>
public sealed class ScenarioRecorder
{
    private readonly ScenarioContext _context;
    private readonly List<RapidConnection> _connections = new();
    private readonly List<RapidViolation> _violations = new();
    private readonly List<string> _notes = new();
    private readonly List<string> _closeReasons = new();

    private long _connectionDrops;
    private long _unmatched;
    private long _serverErrors;

    public ScenarioRecorder(ScenarioContext context)
    {
        _context = context;
        StartTimeline();
    }

    public DeliveryLedger Ledger { get; } = new();

    public long ConnectionDrops => Interlocked.Read(ref _connectionDrops);

    /// <summary>Called with a connection's id when a frame settles one of its messages (answered or rejected): frees its in-flight window.</summary>
    internal Action<long>? Settled { get; set; }

    /// <summary>Set when the user stopped the run (Ctrl+C): the result is Interrupted, its figures partial.</summary>
    public bool Interrupted { get; set; }

    /// <summary>Frames that named no message of this run.</summary>
    public long UnmatchedFrames => Interlocked.Read(ref _unmatched) + Ledger.Unexpected;

    public IReadOnlyList<RapidViolation> Violations => _violations;

    public IReadOnlyList<string> Notes()
    {
        lock (_notes)
        {
            return _notes.ToArray();
        }
    }

    /// <summary>Opens a connection for <paramref name="userKey"/> and routes its frames into the ledger; <paramref name="onFrame"/> sees every frame too.</summary>
    public Task<RapidConnection> ConnectAsync(string userKey, Action<ReceivedFrame>? onFrame, CancellationToken cancellationToken, bool ownIdentity = false) =>
        ConnectMatchedAsync(userKey, onFrame is null ? null : (r, _) => onFrame(r), cancellationToken, ownIdentity);

    /// <summary>As above; <paramref name="onFrame"/> also learns what the frame did in the ledger (answered or rejected one of this run's messages for the first time, or neither).</summary>
    internal async Task<RapidConnection> ConnectMatchedAsync(string userKey, Action<ReceivedFrame, FrameMatch>? onFrame, CancellationToken cancellationToken, bool ownIdentity = false)
    {
        var connection = await _context.ConnectAsync(userKey, cancellationToken, ownIdentity).ConfigureAwait(false);
        AttachMatched(connection, onFrame);
        return connection;
    }

    public void Attach(RapidConnection connection, Action<ReceivedFrame>? onFrame) =>
        AttachMatched(connection, onFrame is null ? null : (r, _) => onFrame(r));

    internal void AttachMatched(RapidConnection connection, Action<ReceivedFrame, FrameMatch>? onFrame)
    {
        lock (_connections)
        {
            _connections.Add(connection);
        }

        Ledger.Timeline?.ConnectionOpened(Stopwatch.GetTimestamp());
        connection.ClosedUnexpectedly = c =>
        {
            Interlocked.Increment(ref _connectionDrops);
            TimelineDrop();
            Ledger.Abandon(c.Id);
            lock (_closeReasons)
            {
                if (_closeReasons.Count < 10)
                {
                    _closeReasons.Add("conn#" + c.Id.ToString(CultureInfo.InvariantCulture) + ": " + c.CloseReason);
                }
            }
        };
        connection.FrameReceived = received =>
        {
            var match = MatchToMessage(received);
            if (match != FrameMatch.None)
            {
                Settled?.Invoke(connection.Id);
            }

            onFrame?.Invoke(received, match);
        };
    }

    public void AddViolation(string code, string message) => _violations.Add(new RapidViolation(code, message));

    /// <summary>
    /// Whether the run can judge <paramref name="scenario"/> with this protocol profile; when the profile lists a
    /// message it needs as Unsupported, records why it was not run (the result is then Inconclusive).
    /// </summary>
    internal bool CanRun(IRapidScenario scenario)
    {
        var unsupported = scenario.Needs.Where(m => !_context.Profile.Supports(m)).ToList();
        if (unsupported.Count == 0)
        {
            return true;
        }

        AddViolation(ViolationCode.ProtocolUnsupported, FormattableString.Invariant(
            $"{scenario.Name} needs {string.Join(" and ", unsupported)}, which the profile {_context.Profile.Name} lists as Unsupported, so it was not run: this scenario cannot judge a backend without {(unsupported.Count == 1 ? "it" : "them")}."));
        return false;
    }

    /// <summary>An exception that ends a run with a finding about the backend (it stopped answering, the connection broke), not a crash.</summary>
    internal static bool IsFinding(Exception ex) =>
        ex is RapidConnectionException or TimeoutException or System.Net.WebSockets.WebSocketException or ObjectDisposedException or InvalidOperationException or OperationCanceledException;

    /// <summary>Records what ended the run early (<see cref="IsFinding"/>), then the delivery checks over what it got to.</summary>
    internal void RunEndedBy(Exception ex)
    {
        if (ex is RapidConnectionException)
        {
            AddViolation(ViolationCode.ReconnectFailed, ex.Message);
            return;
        }

        CheckUnexpectedCloses();
        if (ex is TimeoutException)
        {
            AddViolation(ViolationCode.Timeout, "the run could not finish: " + ex.Message);
        }
        else if (!HasViolation(ViolationCode.UnexpectedClose))
        {
            // A connection that ended is reported once, with its reason; only an end the connection did not record is added here.
            AddViolation(ViolationCode.UnexpectedClose, "the run could not finish: " + ex.Message);
        }

        CheckDelivery();
    }

    public bool HasViolation(string code) => _violations.Any(v => v.Code == code);

    public void RemoveViolations(string code) => _violations.RemoveAll(v => v.Code == code);

    public void Note(string text)
    {
        lock (_notes)
        {
            _notes.Add(text);
        }
    }

    /// <summary>Waits for every message to be answered or rejected; what is left after the timeout is lost.</summary>
    public Task<bool> WaitForRepliesAsync(CancellationToken cancellationToken) => WaitForRepliesAsync(null, cancellationToken);

    /// <summary>As <see cref="WaitForRepliesAsync(CancellationToken)"/>, but gives up early when <paramref name="connection"/> ends.</summary>
    public async Task<bool> WaitForRepliesAsync(RapidConnection? connection, CancellationToken cancellationToken)
    {
        _context.Progress.Phase = "waiting for replies";
        if (connection is null)
        {
            return await Ledger.WaitSettledAsync(_context.ReplyTimeout, cancellationToken).ConfigureAwait(false);
        }

        var settled = Ledger.WaitSettledAsync(_context.ReplyTimeout, cancellationToken);
        var done = await Task.WhenAny(settled, connection.Completion).ConfigureAwait(false);
        if (done != settled)
        {
            // Give frames already read a moment to be routed.
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            return Ledger.Outstanding == 0;
        }

        return await settled.ConfigureAwait(false);
    }

    /// <summary>The delivery checks every scenario shares: missing, duplicated, out-of-order and unexpected replies.</summary>
    public void CheckDelivery(bool order = true, bool duplicates = true)
    {
        var lost = Ledger.Unanswered;
        if (lost > 0)
        {
            var ids = string.Join(", ", Ledger.OutstandingIds(3));
            AddViolation(ViolationCode.MissingReply, FormattableString.Invariant(
                $"{lost} of {Ledger.Distinct} messages got neither a reply nor a rejection within {_context.Parameters.TimeoutSec} s (e.g. {ids})."));
        }

        if (duplicates && Ledger.DuplicateReplies > 0)
        {
            AddViolation(ViolationCode.DuplicateReply, FormattableString.Invariant(
                $"{Ledger.DuplicateReplies} extra replies not marked duplicate (e.g. {string.Join(", ", Ledger.DuplicateExamples)})."));
        }

        if (order && Ledger.OutOfOrder > 0)
        {
            AddViolation(ViolationCode.OutOfOrder, FormattableString.Invariant(
                $"{Ledger.OutOfOrder} replies arrived out of order ({string.Join("; ", Ledger.OrderExamples)})."));
        }

        if (ServerErrors > 0)
        {
            AddViolation(ViolationCode.ServerError, FormattableString.Invariant(
                $"the server answered {ServerErrors} well-formed messages with an error other than queue_full (counted as rejected)."));
        }

        if (Ledger.Unexpected > 0)
        {
            AddViolation(ViolationCode.UnexpectedReply, FormattableString.Invariant(
                $"{Ledger.Unexpected} replies named a message_id this connection never sent."));
        }
    }

    /// <summary>Records a violation for every connection that ended without being asked to.</summary>
    public void CheckUnexpectedCloses()
    {
        if (ConnectionDrops > 0)
        {
            AddViolation(ViolationCode.UnexpectedClose, FormattableString.Invariant(
                $"{ConnectionDrops} connection(s) ended unexpectedly ({string.Join("; ", CloseReasons())})."));
        }
    }

    public IReadOnlyList<string> CloseReasons()
    {
        lock (_closeReasons)
        {
            return _closeReasons.ToArray();
        }
    }

    /// <summary>Asks the server for its RSS through agent_state memory_usage, if it reports it.</summary>
    public async Task<long?> SampleServerRssAsync(RapidConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            var state = await connection.QueryAgentStateAsync(null, _context.QueryTimeout, cancellationToken).ConfigureAwait(false);
            return state.MemoryRss;
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or System.Net.WebSockets.WebSocketException)
        {
            return null;
        }
    }

    /// <summary>
    /// Closes every connection this recorder opened, each waiting at most <paramref name="closeWait"/> for the
    /// server's close: a second at the end of a run; a run stopped with Ctrl+C waits less, so its partial result
    /// is back within the cmdlet's grace period even on a busy machine.
    /// </summary>
    public async Task DisposeAsync(TimeSpan closeWait)
    {
        RapidConnection[] all;
        lock (_connections)
        {
            all = _connections.ToArray();
        }

        TimelineClosing(all);
        await Task.WhenAll(all.Select(c => c.CloseAsync(closeWait))).ConfigureAwait(false);
    }

    /// <summary>Frames that did not decode, over every connection of the run.</summary>
    public long MalformedFrames()
    {
        lock (_connections)
        {
            return _connections.Sum(c => c.MalformedFrames);
        }
    }

    /// <summary>The one place a reply meets its message: an ai_response, ai_response_chunk or error frame is matched by message_id in the ledger (chunks in its stream part); says whether it settled one of this run's messages, and how.</summary>
    private FrameMatch MatchToMessage(ReceivedFrame received)
    {
        var frame = received.Frame;
        bool settled;
        switch (frame.Type)
        {
            case MessageType.AiResponse when frame.MessageId is not null:
                // A stream's final is recorded before its reply settles the message: the run may end the moment
                // the last message settles, and that stream must not then be counted as cut.
                if (!frame.Duplicate && Ledger.IsOutstanding(frame.MessageId))
                {
                    Ledger.RecordStreamFinal(frame.MessageId, frame.ChunkCount, frame.Content, frame.Cancelled);
                }

                if (frame.Cancelled && !frame.Duplicate)
                {
                    Ledger.RecordCancelledReply(frame.MessageId, received.ReceivedTimestamp, out settled);
                }
                else
                {
                    Ledger.RecordReply(frame.MessageId, frame.SequenceId ?? -1, frame.Duplicate, received.ReceivedTimestamp, out settled);
                }

                if (settled)
                {
                    _context.Progress.AddAnswered();
                }

                return settled ? FrameMatch.Answered : FrameMatch.None;
            case MessageType.AiResponseChunk:
                RouteChunk(received);
                return FrameMatch.None;
            case MessageType.Error when frame.Code == ErrorCode.UnknownMessage:
                // The answer to a cancel that came too late (the message had finished): not a rejection.
                return FrameMatch.None;
            case MessageType.Error when frame.MessageId is not null:
                Ledger.RecordRejection(frame.MessageId, received.ReceivedTimestamp, out settled);
                if (settled)
                {
                    _context.Progress.AddRejected();
                }

                if (frame.Code != ErrorCode.QueueFull)
                {
                    Interlocked.Increment(ref _serverErrors);
                    Ledger.Timeline?.RecordError(received.ReceivedTimestamp);
                    _context.Progress.AddError();
                }

                return settled ? FrameMatch.Rejected : FrameMatch.None;
            case MessageType.Error:
            case MessageType.AiResponse:
                Interlocked.Increment(ref _unmatched);
                return FrameMatch.None;
            default:
                return FrameMatch.None;
        }
    }

    /// <summary>A chunk of a streamed reply: into the ledger's stream part; one without message_id or chunk_index matches nothing.</summary>
    private void RouteChunk(ReceivedFrame received)
    {
        var frame = received.Frame;
        if (frame.MessageId is null || frame.ChunkIndex is not int index)
        {
            Interlocked.Increment(ref _unmatched);
            return;
        }

        Ledger.RecordChunk(frame.MessageId, index, frame.Content, received.ReceivedTimestamp);
    }

    /// <summary>
    /// The checks of streamed replies: chunks missing, out of order or repeated, finals that disagree with
    /// their chunks, chunks after a final, and streams that never got their final (call after the wait).
    /// </summary>
    public void CheckStreams()
    {
        var s = Ledger.Streams;
        s.CloseCut();
        if (s.Incomplete > 0)
        {
            AddViolation(ViolationCode.StreamIncomplete, FormattableString.Invariant(
                $"{s.Incomplete} streamed replies ended without all their chunks ({string.Join("; ", s.IncompleteExamples)})."));
        }

        if (s.OutOfOrder > 0)
        {
            AddViolation(ViolationCode.ChunkOutOfOrder, FormattableString.Invariant(
                $"{s.OutOfOrder} chunks came after a chunk with a higher chunk_index ({string.Join("; ", s.OrderExamples)})."));
        }

        if (s.DuplicateChunks > 0)
        {
            AddViolation(ViolationCode.ChunkDuplicated, FormattableString.Invariant(
                $"{s.DuplicateChunks} chunks repeated a chunk_index that had come ({string.Join("; ", s.DuplicateExamples)})."));
        }

        if (s.Cut > 0)
        {
            AddViolation(ViolationCode.StreamCut, FormattableString.Invariant(
                $"{s.Cut} streams sent chunks but no final frame within {_context.Parameters.TimeoutSec} s ({string.Join("; ", s.CutExamples)})."));
        }

        if (s.FinalMismatches > 0)
        {
            AddViolation(ViolationCode.StreamFinalMismatch, FormattableString.Invariant(
                $"{s.FinalMismatches} final frames disagree with the chunks that came ({string.Join("; ", s.MismatchExamples)})."));
        }

        if (s.AfterFinal > 0)
        {
            AddViolation(ViolationCode.ChunkAfterFinal, FormattableString.Invariant(
                $"{s.AfterFinal} chunks came after their message's final frame ({string.Join("; ", s.AfterFinalExamples)})."));
        }
    }

    /// <summary>Records the run interval by interval (<see cref="ScenarioContext.TimelineInterval"/>; 0 records none).</summary>
    private void StartTimeline()
    {
        if (_context.TimelineInterval > 0)
        {
            Ledger.Timeline = new RunTimeline(Math.Max(0.01, _context.TimelineInterval), RatePacer.LateTolerance);
            _context.Progress.Timeline = Ledger.Timeline;
        }
    }

    /// <summary>A connection that ended unexpectedly: an error in the interval it ended in, and one connection fewer.</summary>
    private void TimelineDrop()
    {
        var now = Stopwatch.GetTimestamp();
        Ledger.Timeline?.RecordError(now);
        Ledger.Timeline?.ConnectionClosed(now);
        _context.Progress.AddError();
    }

    /// <summary>The connections still open, closed at the end of the run.</summary>
    private void TimelineClosing(RapidConnection[] connections)
    {
        if (Ledger.Timeline is not { } timeline)
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        foreach (var c in connections.Where(c => c.IsOpen))
        {
            timeline.ConnectionClosed(now);
        }
    }

    /// <summary>Error frames other than queue_full that named a message.</summary>
    public long ServerErrors => Interlocked.Read(ref _serverErrors);
}
