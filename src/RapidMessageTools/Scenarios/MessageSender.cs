using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Client;
using RapidMessageTools.Load;

namespace RapidMessageTools.Scenarios;

/// <summary>
/// Sends a stream of user messages on one connection: back-to-back, or at a fixed arrival rate where
/// each message has an intended send time and latency counts from it (no coordinated omission).
/// </summary>
internal static class MessageSender
{
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

        var outcome = await SendPlannedAsync(recorder, connection, agentId, idPrefix, ArrivalStream.Constant(ratePerSecond, count), cancellationToken, firstSequence).ConfigureAwait(false);
        return outcome.Late;
    }

    /// <summary>
    /// Sends at the times <paramref name="arrivals"/> gives (a share of a <see cref="LoadPlan"/>); latency counts from them.
    /// The times count from the run's shared load clock, or with <paramref name="ownStart"/> from this stream's own start
    /// (a user who joins a ramp part way through).
    /// </summary>
    public static async Task<PacedOutcome> SendPlannedAsync(
        ScenarioRecorder recorder,
        RapidConnection connection,
        string? agentId,
        string idPrefix,
        ArrivalStream arrivals,
        CancellationToken cancellationToken,
        long firstSequence = 1,
        bool ownStart = false)
    {
        var stream = new PacedStream(
            (seq, intended, ct) => recorder.SendAsync(connection, idPrefix + "-" + seq.ToString(System.Globalization.CultureInfo.InvariantCulture), seq, agentId, intended, ct),
            firstSequence,
            arrivals,
            ownStart ? null : recorder.LoadClock,
            cancellationToken);
        return await recorder.Pacer.Add(stream).ConfigureAwait(false);
    }
}
