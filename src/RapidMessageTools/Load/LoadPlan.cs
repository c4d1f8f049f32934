using System;
using System.Linq;

namespace RapidMessageTools.Load;

/// <summary>
/// How a run's messages are spread over time when it has an arrival rate: the schedule (stages, or one rate for
/// -Duration or for a message count), the spacing (constant or Poisson) and the clock its streams share.
/// Null from <see cref="From"/> means back-to-back sending.
/// </summary>
internal sealed class LoadPlan
{
    private readonly LoadShape _shape;
    private readonly int _shardIndex;
    private readonly int _shardCount;

    private LoadPlan(LoadShape shape, ArrivalSchedule schedule, int shardIndex, int shardCount, LoadClock clock)
    {
        _shape = shape;
        Schedule = schedule;
        _shardIndex = Math.Max(1, shardIndex);
        _shardCount = Math.Max(1, shardCount);
        Clock = clock;
    }

    public ArrivalSchedule Schedule { get; }

    public LoadClock Clock { get; }

    /// <summary>Whether the load is given by stages (their end ends the run, not a message count).</summary>
    public bool IsStaged => _shape.Stages is { Length: > 0 };

    /// <summary>Whether the load ends by time (stages or -Duration) rather than by a message count.</summary>
    public bool IsTimed => IsStaged || _shape.Duration > 0;

    /// <summary>The plan of <paramref name="p"/> (defaults applied), or null when it sends back-to-back.</summary>
    public static LoadPlan? From(LoadShape p, int shardIndex, int shardCount, LoadClock clock)
    {
        if (p.Stages is { Length: > 0 })
        {
            return new LoadPlan(p, new ArrivalSchedule(p.Stages), shardIndex, shardCount, clock);
        }

        if (p.Rate <= 0)
        {
            return null;
        }

        var schedule = p.Duration > 0
            ? new ArrivalSchedule([new RapidLoadStage(p.Duration, p.Rate, p.Rate)])
            : ArrivalSchedule.Constant(p.Rate);
        return new LoadPlan(p, schedule, shardIndex, shardCount, clock);
    }

    /// <summary>"30 s at 500 msg/s, then 60 s ramp 500 -> 5000 msg/s (Poisson arrivals)" — for narration and progress.</summary>
    public string Describe()
    {
        var shape = IsStaged
            ? string.Join(", then ", Schedule.Stages.Select(s => s.ToString()))
            : _shape.Duration > 0
                ? FormattableString.Invariant($"{_shape.Duration} s at {_shape.Rate} msg/s")
                : FormattableString.Invariant($"at {_shape.Rate} msg/s");
        return _shape.Arrival == RapidArrival.Poisson
            ? FormattableString.Invariant($"{shape} (Poisson arrivals, seed {_shape.Seed})")
            : shape;
    }

    /// <summary>
    /// Stream <paramref name="index"/> (0-based) of this shard's <paramref name="streams"/>: its share of the whole
    /// load's arrivals. <paramref name="totalMessages"/> ends a load given by count (all shards); <paramref name="perStream"/>
    /// ends each stream at that many messages; both are ignored when the load ends by time.
    /// </summary>
    public ArrivalStream Stream(int index, int streams, long totalMessages = 0, long perStream = 0)
    {
        var global = ((_shardIndex - 1) * streams) + index;
        var count = streams * _shardCount;
        return new ArrivalStream(
            Schedule,
            global,
            count,
            _shape.Arrival,
            _shape.Seed,
            IsStaged ? 0 : perStream,
            IsStaged || totalMessages <= 0 ? double.PositiveInfinity : totalMessages);
    }
}

/// <summary>What a load plan is made from: the run's stages, or its rate for a duration or a message count, and the spacing of its sends.</summary>
internal readonly record struct LoadShape(RapidLoadStage[] Stages, double Rate, double Duration, RapidArrival Arrival, int Seed);
