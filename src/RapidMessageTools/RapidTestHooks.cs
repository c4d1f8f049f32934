using System;
using System.Net.WebSockets;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Load;
using RapidMessageTools.Protocol;

namespace RapidMessageTools;

/// <summary>
/// Switches and probes for the project's own tests, so they need no reflection into private members.
/// Not for users: nothing here changes a result's meaning, only which platform path produces it.
/// See docs/ARCHITECTURE.md, "Test hooks".
/// </summary>
public static class RapidTestHooks
{
    /// <summary>Whether the rate pacer sleeps with nanosleep (Linux, macOS). False runs the Windows path: 1 ms sleeps, then yields.</summary>
    public static bool UseNanosleep
    {
        get => PreciseSleep.UseNanosleep;
        set => PreciseSleep.UseNanosleep = value;
    }

    /// <summary>Whether receives use the allocation-free Memory overload of WebSocket.ReceiveAsync (true on .NET Core).</summary>
    public static bool UsesMemoryReceive => WebSocketReceive.UsesMemoryOverload;

    /// <summary>Whether <paramref name="socketType"/> itself implements the Memory overload of ReceiveAsync.</summary>
    public static bool ImplementsMemoryReceive(Type socketType) => WebSocketReceive.Implements(socketType);

    /// <summary>Receives one chunk the way the client does; returns its byte count and whether it ended the message.</summary>
    public static async Task<Tuple<int, bool>> ReceiveChunkAsync(WebSocket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        var chunk = await WebSocketReceive.ReceiveAsync(socket, buffer, cancellationToken).ConfigureAwait(false);
        return Tuple.Create(chunk.Count, chunk.EndOfMessage);
    }
}
