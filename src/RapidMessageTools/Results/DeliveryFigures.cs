using System;

namespace RapidMessageTools.Results;

/// <summary>The delivery ratio and what it is of, the same for one run and for merged shards.</summary>
public static class DeliveryFigures
{
    /// <summary>Delivered over distinct messages sent; over accepted ones where rejections are the point (QueueOverflow).</summary>
    public static double Ratio(long delivered, long distinct, long accepted, bool rejectionsExpected)
    {
        var denominator = rejectionsExpected ? accepted : distinct;
        return denominator <= 0 ? (rejectionsExpected ? 1.0 : 0.0) : Math.Round((double)delivered / denominator, 6);
    }

    /// <summary>What the delivery ratio is of, for its violation: rejections named when they count against it.</summary>
    public static string Detail(long delivered, long distinct, long rejected, bool rejectionsExpected) =>
        rejectionsExpected
            ? FormattableString.Invariant($" ({delivered} of {distinct - rejected} accepted messages answered)")
            : rejected > 0
                ? FormattableString.Invariant($" ({delivered} of {distinct} messages delivered; {rejected} were rejected, and outside QueueOverflow a rejection is a failure to deliver)")
                : FormattableString.Invariant($" ({delivered} of {distinct} messages delivered)");
}
