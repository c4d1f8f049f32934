using System;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Threading;

namespace RapidMessageTools.MockServer;

/// <summary>
/// Tunes an accepted connection of the managed HttpListener (Linux, macOS): turns off Nagle's algorithm, which
/// it leaves on, so small reply frames would wait for the client's delayed ACK (about 40 ms each); and, once the
/// connection is a WebSocket, lets go of the 8 KB buffer it read the HTTP request into. Its connection is not
/// public; reach it by reflection and do nothing where it is not there (http.sys on .NET Framework).
/// </summary>
internal static class SocketTuning
{
    private static readonly PropertyInfo? ConnectionProperty =
        typeof(HttpListenerContext).GetProperty("Connection", BindingFlags.NonPublic | BindingFlags.Instance);

    private static readonly FieldInfo? SocketField =
        ConnectionProperty?.PropertyType.GetField("_socket", BindingFlags.NonPublic | BindingFlags.Instance);

    // The connection's request buffer: allocated again (?? new byte[8192]) before any later request read, so
    // dropping it once the connection is a WebSocket changes nothing but the memory an idle connection holds.
    private static readonly FieldInfo? RequestBufferField =
        ConnectionProperty?.PropertyType.GetField("_buffer", BindingFlags.NonPublic | BindingFlags.Instance) is { } f && f.FieldType == typeof(byte[]) ? f : null;

    private static long _releasedRequestBuffers;

    /// <summary>Whether this runtime's HttpListener has a request buffer <see cref="ReleaseRequestBuffer"/> can drop.</summary>
    internal static bool CanReleaseRequestBuffer => RequestBufferField is not null;

    /// <summary>Request buffers dropped in this process (the tests' probe).</summary>
    internal static long ReleasedRequestBuffers => Interlocked.Read(ref _releasedRequestBuffers);

    /// <summary>
    /// Drops the HTTP request buffer of a connection that became a WebSocket (the WebSocket reads the socket into
    /// its own buffers): 8 KB of the about 20 KB an idle mock connection held.
    /// </summary>
    public static void ReleaseRequestBuffer(HttpListenerContext context)
    {
        try
        {
            if (RequestBufferField is not null && ConnectionProperty!.GetValue(context) is { } connection && RequestBufferField.GetValue(connection) is byte[])
            {
                RequestBufferField.SetValue(connection, null);
                Interlocked.Increment(ref _releasedRequestBuffers);
            }
        }
        catch (Exception)
        {
            // Best effort, as above.
        }
    }

    public static void DisableNagle(HttpListenerContext context)
    {
        try
        {
            if (SocketField?.GetValue(ConnectionProperty!.GetValue(context)) is Socket socket)
            {
                socket.NoDelay = true;
            }
        }
        catch (Exception)
        {
            // Best effort: a listener without a reachable socket keeps its defaults.
        }
    }
}
