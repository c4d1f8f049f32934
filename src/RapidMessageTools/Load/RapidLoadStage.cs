using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace RapidMessageTools.Load;

/// <summary>How sends are spaced at an arrival rate: evenly, or as a Poisson process (exponential gaps).</summary>
public enum RapidArrival
{
    Constant,
    Poisson,
}

/// <summary>One stage of a load: <see cref="Duration"/> seconds at a rate going linearly from <see cref="StartRate"/> to <see cref="EndRate"/> (equal for a constant rate).</summary>
public sealed class RapidLoadStage
{
    public RapidLoadStage()
    {
    }

    public RapidLoadStage(double duration, double startRate, double endRate)
    {
        Duration = duration;
        StartRate = startRate;
        EndRate = endRate;
    }

    /// <summary>Seconds.</summary>
    public double Duration { get; set; }

    /// <summary>Messages per second (the whole load, all connections and shards) when the stage begins.</summary>
    public double StartRate { get; set; }

    /// <summary>Messages per second when the stage ends.</summary>
    public double EndRate { get; set; }

    public bool IsRamp => StartRate != EndRate;

    /// <summary>Messages the stage sends.</summary>
    public double Messages => (StartRate + EndRate) / 2 * Duration;

    public override string ToString() => IsRamp
        ? FormattableString.Invariant($"{Duration} s ramp {StartRate} -> {EndRate} msg/s")
        : FormattableString.Invariant($"{Duration} s at {StartRate} msg/s");

    /// <summary>The keys a stage table may have.</summary>
    public static readonly IReadOnlyList<string> Keys = ["Duration", "Rate", "RampTo"];

    /// <summary>
    /// Reads stage tables such as <c>@{ Duration = 30; Rate = 500 }, @{ Duration = 60; RampTo = 5000 }</c>: Rate alone
    /// holds a rate, RampTo ramps linearly to it from Rate (or from where the previous stage ended, 0 for the first).
    /// Throws <see cref="ArgumentException"/> naming the stage, the key and what to write instead.
    /// </summary>
    public static RapidLoadStage[] Parse(IReadOnlyList<IDictionary?> tables)
    {
        if (tables is null || tables.Count == 0)
        {
            throw new ArgumentException("-Stage needs at least one stage, such as @{ Duration = 30; Rate = 500 }.");
        }

        var stages = new List<RapidLoadStage>();
        double previousEnd = 0;
        for (var i = 0; i < tables.Count; i++)
        {
            var n = i + 1;
            var table = tables[i] ?? throw new ArgumentException(FormattableString.Invariant($"Stage {n} is empty: write it as @{{ Duration = 30; Rate = 500 }}."));
            double? duration = null;
            double? rate = null;
            double? rampTo = null;
            foreach (DictionaryEntry kv in table)
            {
                var key = Convert.ToString(kv.Key, CultureInfo.InvariantCulture) ?? string.Empty;
                var known = Keys.FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
                if (known is null)
                {
                    throw new ArgumentException(FormattableString.Invariant(
                        $"Stage {n} has the key '{key}', which a stage does not have: use Duration (seconds), Rate (msg/s) and RampTo (msg/s), e.g. @{{ Duration = 60; RampTo = 5000 }}."));
                }

                var value = Number(n, known, kv.Value);
                switch (known)
                {
                    case "Duration":
                        duration = value;
                        break;
                    case "Rate":
                        rate = value;
                        break;
                    default:
                        rampTo = value;
                        break;
                }
            }

            if (duration is null)
            {
                throw new ArgumentException(FormattableString.Invariant($"Stage {n} has no Duration: add the seconds it lasts, e.g. @{{ Duration = 30; Rate = 500 }}."));
            }

            if (duration <= 0 || duration > 86_400)
            {
                throw new ArgumentException(FormattableString.Invariant($"Stage {n} has Duration = {duration}: give seconds above 0 and at most 86400."));
            }

            if (rate is null && rampTo is null)
            {
                throw new ArgumentException(FormattableString.Invariant(
                    $"Stage {n} has neither Rate nor RampTo: add Rate (a constant rate, msg/s) or RampTo (a linear ramp to that rate), e.g. @{{ Duration = {duration}; Rate = 500 }}."));
            }

            var start = rate ?? previousEnd;
            var end = rampTo ?? start;
            stages.Add(new RapidLoadStage(duration.Value, start, end));
            previousEnd = end;
        }

        if (stages.All(s => s.Messages < 1))
        {
            throw new ArgumentException("The stages send no message (every rate is 0 or too short to send one): give a Rate or RampTo above 0.");
        }

        return stages.ToArray();
    }

    private static double Number(int stage, string key, object? value)
    {
        double number;
        try
        {
            number = value is string s
                ? double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)
                : Convert.ToDouble(value, CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException)
        {
            throw new ArgumentException(FormattableString.Invariant($"Stage {stage}: {key} = '{value}' is not a number; give {(key == "Duration" ? "seconds" : "messages per second")}, e.g. {key} = {(key == "Duration" ? "30" : "500")}."), ex);
        }

        if (double.IsNaN(number) || double.IsInfinity(number) || number < 0)
        {
            throw new ArgumentException(FormattableString.Invariant($"Stage {stage}: {key} = {value} must be a number of at least 0."));
        }

        if (key != "Duration" && number > 10_000_000)
        {
            throw new ArgumentException(FormattableString.Invariant($"Stage {stage}: {key} = {value} is above 10,000,000 msg/s, more than one client can send; split the load into shards (-Shard)."));
        }

        return number;
    }
}
