using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Client;

namespace RapidMessageTools.Scenarios;

/// <summary>
/// Waits for some messages only. A scenario that sends in rounds waits for its round: a message lost in an
/// earlier round never settles, and waiting for everything would make every later round wait the whole timeout.
/// </summary>
internal static class MessageWait
{
    /// <summary>
    /// Waits until every id in <paramref name="ids"/> is answered or rejected, <paramref name="connection"/> ends,
    /// or <paramref name="timeout"/> passes. True when all settled.
    /// </summary>
    public static async Task<bool> ForAsync(ScenarioRecorder recorder, IReadOnlyList<string> ids, RapidConnection? connection, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var pending = new List<string>(ids);
        while (true)
        {
            pending.RemoveAll(recorder.Ledger.IsSettled);
            if (pending.Count == 0)
            {
                return true;
            }

            if (clock.Elapsed >= timeout || connection is { IsOpen: false })
            {
                return false;
            }

            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }
}
