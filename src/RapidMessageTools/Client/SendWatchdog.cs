using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace RapidMessageTools.Client;

/// <summary>
/// One timer for every open connection of the process: once a second it looks for a send blocked past its
/// connection's limit (a server that stopped reading). A timer per connection cost 10,000 timer callbacks a
/// second at 10,000 connections; this is one callback that reads a timestamp per connection.
/// </summary>
internal static class SendWatchdog
{
    private static readonly HashSet<RapidConnection> Connections = new();
    private static Timer? _timer;

    public static void Add(RapidConnection connection)
    {
        lock (Connections)
        {
            Connections.Add(connection);
            _timer ??= new Timer(_ => Check(), null, 1000, 1000);
        }
    }

    public static void Remove(RapidConnection connection)
    {
        lock (Connections)
        {
            Connections.Remove(connection);
            if (Connections.Count == 0)
            {
                _timer?.Dispose();
                _timer = null;
            }
        }
    }

    private static void Check()
    {
        RapidConnection[] all;
        lock (Connections)
        {
            all = new RapidConnection[Connections.Count];
            Connections.CopyTo(all);
        }

        var now = Stopwatch.GetTimestamp();
        foreach (var connection in all)
        {
            connection.CheckSendBlocked(now);
        }
    }
}
