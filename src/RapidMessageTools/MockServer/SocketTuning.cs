using System;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace RapidMessageTools.MockServer;

/// <summary>
/// Turns off Nagle's algorithm on an accepted connection. The managed HttpListener (Linux, macOS)
/// leaves it on, so small reply frames wait for the client's delayed ACK — about 40 ms each.
/// Its socket is not public; reach it by reflection and do nothing where it is not there (http.sys).
/// </summary>
internal static class SocketTuning
{
    private static readonly PropertyInfo? ConnectionProperty =
        typeof(HttpListenerContext).GetProperty("Connection", BindingFlags.NonPublic | BindingFlags.Instance);

    private static readonly FieldInfo? SocketField =
        ConnectionProperty?.PropertyType.GetField("_socket", BindingFlags.NonPublic | BindingFlags.Instance);

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
