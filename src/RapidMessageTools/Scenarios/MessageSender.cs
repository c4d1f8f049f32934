using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Client;

namespace RapidMessageTools.Scenarios;

/// <summary>
/// Sends a stream of user messages on one connection: back-to-back, or at a fixed arrival rate where
/// each message has an intended send time and latency counts from it (no coordinated omission).
/// </summary>
internal static class MessageSender
{
    /// <summary>A send later than this behind its intended time counts as late.</summary>
    public static readonly long LateTolerance = Stopwatch.Frequency / 200; // 5 ms

    /// <summary>Sends <paramref name="count"/> messages; returns how many left later than scheduled.</summary>
    public static async Task<long> SendStreamAsync(
        ScenarioRecorder recorder,
        RapidConnection connection,
        string? agentId,
        string idPrefix,
        int count,
        double ratePerSecond,
        CancellationToken cancellationToken,
        long firstSequence = 1)
    {
        if (ratePerSecond <= 0)
        {
            for (var i = 0; i < count; i++)
            {
                var seq = firstSequence + i;
                await recorder.SendAsync(connection, idPrefix + "-" + seq.ToString(System.Globalization.CultureInfo.InvariantCulture), seq, agentId, 0, cancellationToken).ConfigureAwait(false);
            }

            return 0;
        }

        recorder.FixedRate = true;
        var interval = Stopwatch.Frequency / ratePerSecond;
        var start = Stopwatch.GetTimestamp();
        long late = 0;
        var sent = 0;
        while (sent < count)
        {
            var now = Stopwatch.GetTimestamp();
            var due = Math.Min(count, (int)((now - start) / interval) + 1);
            if (due <= sent)
            {
                var wait = (start + (long)(sent * interval)) - now;
                var ms = wait * 1000.0 / Stopwatch.Frequency;
                if (ms >= 1.5)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(ms - 0.5), cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    Thread.SpinWait(50);
                }

                continue;
            }

            for (; sent < due; sent++)
            {
                var intended = start + (long)(sent * interval);
                if (Stopwatch.GetTimestamp() - intended > LateTolerance)
                {
                    late++;
                }

                var seq = firstSequence + sent;
                await recorder.SendAsync(connection, idPrefix + "-" + seq.ToString(System.Globalization.CultureInfo.InvariantCulture), seq, agentId, intended, cancellationToken).ConfigureAwait(false);
            }
        }

        return late;
    }
}
