using System;
using System.Collections.Generic;
using System.Linq;

namespace RapidMessageTools.Load;

/// <summary>
/// The arrival rate of a load over time, piecewise constant or linear (its stages), and its inverse: when the
/// cumulative count of arrivals reaches a given number. Sends are placed by that inverse, so a ramp's sends
/// thicken smoothly and a Poisson process with a changing rate keeps its rate.
/// </summary>
internal sealed class ArrivalSchedule
{
    private readonly RapidLoadStage[] _stages;
    private readonly double[] _startSeconds;
    private readonly double[] _startCount;

    public ArrivalSchedule(IReadOnlyList<RapidLoadStage> stages)
    {
        _stages = stages.ToArray();
        _startSeconds = new double[_stages.Length + 1];
        _startCount = new double[_stages.Length + 1];
        for (var i = 0; i < _stages.Length; i++)
        {
            _startSeconds[i + 1] = _startSeconds[i] + _stages[i].Duration;
            _startCount[i + 1] = _startCount[i] + (double.IsPositiveInfinity(_stages[i].Duration) ? double.PositiveInfinity : _stages[i].Messages);
        }
    }

    /// <summary>One constant rate with no end (a message count ends the stream).</summary>
    public static ArrivalSchedule Constant(double rate) => new([new RapidLoadStage(double.PositiveInfinity, rate, rate)]);

    public IReadOnlyList<RapidLoadStage> Stages => _stages;

    public double TotalSeconds => _startSeconds[_stages.Length];

    /// <summary>Arrivals the whole schedule holds.</summary>
    public double TotalMessages => _startCount[_stages.Length];

    /// <summary>Seconds from the start at which the arrivals reach <paramref name="position"/>; +∞ when they never do.</summary>
    public double TimeOf(double position)
    {
        if (position < 0)
        {
            return 0;
        }

        for (var i = 0; i < _stages.Length; i++)
        {
            if (position >= _startCount[i + 1])
            {
                continue;
            }

            var s = _stages[i];
            var c = position - _startCount[i];
            double t;
            if (Math.Abs(s.EndRate - s.StartRate) < 1e-9)
            {
                t = s.StartRate <= 0 ? 0 : c / s.StartRate;
            }
            else
            {
                // Solve a·t + (b − a)·t² / (2D) = c for t in [0, D].
                var slope = (s.EndRate - s.StartRate) / s.Duration;
                var discriminant = Math.Max(0, (s.StartRate * s.StartRate) + (2 * slope * c));
                t = (Math.Sqrt(discriminant) - s.StartRate) / slope;
            }

            return _startSeconds[i] + Math.Min(Math.Max(0, t), s.Duration);
        }

        return double.PositiveInfinity;
    }

    /// <summary>The stage (1-based) under way <paramref name="seconds"/> after the start; 0 before it, the last after the end.</summary>
    public int StageAt(double seconds)
    {
        if (seconds < 0)
        {
            return 0;
        }

        for (var i = 0; i < _stages.Length; i++)
        {
            if (seconds < _startSeconds[i + 1])
            {
                return i + 1;
            }
        }

        return _stages.Length;
    }

    /// <summary>Seconds from the start at which each stage begins.</summary>
    public double StageStart(int stage) => _startSeconds[Math.Max(0, Math.Min(_stages.Length, stage - 1))];
}

/// <summary>
/// One stream's share of a schedule: stream <c>g</c> of <c>G</c> (across connections and shards) takes every
/// G-th arrival (evenly spaced: positions g, g + G, …) or an independent Poisson process of 1/G of the rate
/// (exponential gaps, seeded), so G streams together make the schedule's rate.
/// </summary>
internal sealed class ArrivalStream
{
    private readonly ArrivalSchedule _schedule;
    private readonly int _streamCount;
    private readonly long _maxCount;
    private readonly double _positionLimit;
    private readonly Random? _random;
    private double _position;
    private long _count;

    /// <param name="maxCount">This stream's messages at most (0: no limit).</param>
    /// <param name="positionLimit">Arrivals of the whole load at most (a total message count; +∞: the schedule's end).</param>
    public ArrivalStream(ArrivalSchedule schedule, int streamIndex, int streamCount, RapidArrival arrival, int seed, long maxCount = 0, double positionLimit = double.PositiveInfinity)
    {
        _schedule = schedule;
        _streamCount = Math.Max(1, streamCount);
        _maxCount = maxCount;
        _positionLimit = positionLimit;
        if (arrival == RapidArrival.Poisson)
        {
            _random = new Random(unchecked(seed + (streamIndex * 7919)));
            _position = Gap();
        }
        else
        {
            _position = streamIndex;
        }
    }

    /// <summary>A constant rate for one stream of <paramref name="count"/> messages.</summary>
    public static ArrivalStream Constant(double rate, int count) =>
        new(ArrivalSchedule.Constant(rate), 0, 1, RapidArrival.Constant, 0, count);

    /// <summary>The next send's offset from the start, seconds; false when the stream is done.</summary>
    public bool TryNext(out double seconds)
    {
        seconds = 0;
        if ((_maxCount > 0 && _count >= _maxCount) || _position >= _positionLimit || _position >= _schedule.TotalMessages)
        {
            return false;
        }

        seconds = _schedule.TimeOf(_position);
        if (double.IsPositiveInfinity(seconds))
        {
            return false;
        }

        _count++;
        _position += _random is null ? _streamCount : Gap();
        return true;
    }

    /// <summary>An exponential gap of mean G positions (G streams share the rate).</summary>
    private double Gap() => -Math.Log(1 - _random!.NextDouble()) * _streamCount;
}
