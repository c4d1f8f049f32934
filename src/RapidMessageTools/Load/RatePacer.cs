using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace RapidMessageTools.Load;

/// <summary>
/// Sends fixed-rate streams at their intended times from one dedicated thread, so several connections
/// send side by side (not one after another) and the pacing neither holds pool threads nor burns a core
/// per stream. Streams wait in a heap ordered by when each is next due, so a wake costs log(streams), not
/// a pass over every stream (10,000 users at one message every 5 s are 2,000 wakes a second). Between
/// sends the thread sleeps until the next is due (<see cref="PreciseSleep"/>). A stream whose previous
/// send has not completed waits (its sends then count as late), while the other streams go on. The
/// thread ends when no stream is left.
/// </summary>
internal sealed class RatePacer
{
    private readonly object _sync = new();
    private readonly List<PacedStream> _added = new();
    private bool _running;

    /// <summary>A send later than this behind its intended time counts as late.</summary>
    public static readonly long LateTolerance = Stopwatch.Frequency / 200; // 5 ms

    /// <summary>Starts pacing <paramref name="stream"/>; the task completes with its count of sends and late sends.</summary>
    public Task<PacedOutcome> Add(PacedStream stream)
    {
        lock (_sync)
        {
            _added.Add(stream);
            Monitor.Pulse(_sync);
            if (!_running)
            {
                _running = true;
                new Thread(Run) { IsBackground = true, Name = "RapidMessageTools rate pacer" }.Start();
            }
        }

        return stream.Completion.Task;
    }

    private void Run()
    {
        var due = new DueHeap();
        while (true)
        {
            lock (_sync)
            {
                foreach (var added in _added)
                {
                    // New streams are looked at at once: their first step sets their start and first due time.
                    due.Push(long.MinValue, added);
                }

                _added.Clear();
                if (due.Count == 0)
                {
                    _running = false;
                    return;
                }
            }

            var now = Stopwatch.GetTimestamp();
            while (due.Count > 0 && due.PeekDue() <= now)
            {
                var stream = due.Pop();
                if (!stream.Step(now))
                {
                    due.Push(stream.NextDue, stream);
                }

                now = Stopwatch.GetTimestamp();
            }

            if (due.Count > 0)
            {
                Wait(due.PeekDue() - Stopwatch.GetTimestamp());
            }
        }
    }

    /// <summary>
    /// Waits toward the next send, <paramref name="ticks"/> away. A far send (users with seconds of think time) is
    /// waited for on the lock, which a new stream interrupts, so the thread does not wake every millisecond for
    /// nothing; the last 2 ms are slept finely (<see cref="PreciseSleep"/>).
    /// </summary>
    private void Wait(long ticks)
    {
        var coarse = (ticks - (2 * Stopwatch.Frequency / 1000)) * 1000 / Stopwatch.Frequency;
        if (coarse >= 1)
        {
            lock (_sync)
            {
                if (_added.Count == 0)
                {
                    Monitor.Wait(_sync, (int)Math.Min(coarse, 1000));
                }
            }

            return;
        }

        PreciseSleep.For(ticks);
    }

    /// <summary>A binary min-heap of streams by due time (netstandard2.0 has no PriorityQueue).</summary>
    private sealed class DueHeap
    {
        private (long Due, PacedStream Stream)[] _items = new (long, PacedStream)[16];

        public int Count { get; private set; }

        public long PeekDue() => _items[0].Due;

        public void Push(long due, PacedStream stream)
        {
            if (Count == _items.Length)
            {
                Array.Resize(ref _items, _items.Length * 2);
            }

            var i = Count++;
            while (i > 0)
            {
                var parent = (i - 1) / 2;
                if (_items[parent].Due <= due)
                {
                    break;
                }

                _items[i] = _items[parent];
                i = parent;
            }

            _items[i] = (due, stream);
        }

        public PacedStream Pop()
        {
            var top = _items[0].Stream;
            var last = _items[--Count];
            _items[Count] = default;
            var i = 0;
            while (true)
            {
                var child = (2 * i) + 1;
                if (child >= Count)
                {
                    break;
                }

                if (child + 1 < Count && _items[child + 1].Due < _items[child].Due)
                {
                    child++;
                }

                if (last.Due <= _items[child].Due)
                {
                    break;
                }

                _items[i] = _items[child];
                i = child;
            }

            if (Count > 0)
            {
                _items[i] = last;
            }

            return top;
        }
    }
}

/// <summary>
/// One connection's messages at their intended times, from an <see cref="ArrivalStream"/> (a fixed rate: message i
/// is due at start + i / rate; or stages and Poisson gaps). Streams of one run share a <see cref="LoadClock"/>, so
/// their stages begin together.
/// </summary>
internal sealed class PacedStream
{
    /// <summary>How often a send that has not completed is looked at again: 50 µs.</summary>
    private static readonly long PendingPoll = Stopwatch.Frequency / 20_000;

    private readonly Func<long, long, CancellationToken, Task> _send;
    private readonly long _firstSequence;
    private readonly ArrivalStream _arrivals;
    private readonly LoadClock? _clock;
    private readonly CancellationToken _cancellationToken;
    private long _start;
    private int _sent;
    private long _late;
    private long _nextIntended;
    private bool _hasNext;
    private Task? _pending;

    /// <param name="send">Sends the message with the given sequence id and intended timestamp.</param>
    public PacedStream(Func<long, long, CancellationToken, Task> send, long firstSequence, int count, double ratePerSecond, CancellationToken cancellationToken)
        : this(send, firstSequence, ArrivalStream.Constant(ratePerSecond, count), null, cancellationToken)
    {
    }

    /// <param name="send">Sends the message with the given sequence id and intended timestamp.</param>
    public PacedStream(Func<long, long, CancellationToken, Task> send, long firstSequence, ArrivalStream arrivals, LoadClock? clock, CancellationToken cancellationToken)
    {
        _send = send;
        _firstSequence = firstSequence;
        _arrivals = arrivals;
        _clock = clock;
        _cancellationToken = cancellationToken;
    }

    public TaskCompletionSource<PacedOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>When this stream next has something to do (Stopwatch ticks).</summary>
    public long NextDue { get; private set; }

    /// <summary>Sends what is due at <paramref name="now"/>. True when the stream is finished (completed, failed or cancelled).</summary>
    public bool Step(long now)
    {
        try
        {
            return StepCore(now);
        }
        catch (Exception ex)
        {
            Completion.TrySetException(ex);
            return true;
        }
    }

    private bool StepCore(long now)
    {
        if (_start == 0)
        {
            _start = _clock?.StartAt(now) ?? now;
        }

        if (_pending is { } pending)
        {
            if (!pending.IsCompleted)
            {
                NextDue = now + PendingPoll;
                return false;
            }

            _pending = null;
            if (Finished(pending))
            {
                return true;
            }
        }

        while (true)
        {
            if (_cancellationToken.IsCancellationRequested)
            {
                Completion.TrySetCanceled(_cancellationToken);
                return true;
            }

            if (!_hasNext)
            {
                if (!_arrivals.TryNext(out var offset))
                {
                    break;
                }

                _nextIntended = _start + (long)(offset * Stopwatch.Frequency);
                _hasNext = true;
            }

            var intended = _nextIntended;
            if (intended > now)
            {
                NextDue = intended;
                return false;
            }

            if (Stopwatch.GetTimestamp() - intended > RatePacer.LateTolerance)
            {
                _late++;
            }

            var send = _send(_firstSequence + _sent, intended, _cancellationToken);
            _sent++;
            _hasNext = false;
            if (!send.IsCompleted)
            {
                _pending = send;
                NextDue = now + PendingPoll;
                return false;
            }

            if (Finished(send))
            {
                return true;
            }
        }

        Completion.TrySetResult(new PacedOutcome(_sent, _late));
        return true;
    }

    /// <summary>Ends the stream when a send failed or was cancelled.</summary>
    private bool Finished(Task send)
    {
        if (send.IsFaulted)
        {
            Completion.TrySetException(send.Exception!.InnerExceptions);
            return true;
        }

        if (send.IsCanceled)
        {
            Completion.TrySetCanceled(_cancellationToken);
            return true;
        }

        return false;
    }
}

/// <summary>What a paced stream did: messages sent, and how many of them left late.</summary>
internal readonly struct PacedOutcome(long sent, long late)
{
    public long Sent { get; } = sent;

    public long Late { get; } = late;
}

/// <summary>
/// The start of one run's load, shared by its streams (the first to start sets it), so stages begin together
/// for every connection. Stepped only by the pacer thread.
/// </summary>
internal sealed class LoadClock
{
    /// <summary>Stopwatch timestamp of the load's start; 0 before it started.</summary>
    public long Start { get; private set; }

    public long StartAt(long now)
    {
        if (Start == 0)
        {
            Start = now;
        }

        return Start;
    }
}
