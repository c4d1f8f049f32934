using System;
using System.Net.WebSockets;
using System.Reflection;

namespace RapidMessageTools.MockServer;

/// <summary>
/// HttpListener (managed, on .NET Core) hands out its WebSocket inside a wrapper that only forwards the
/// ArraySegment overloads: each receive through it allocates a Task and a WebSocketReceiveResult. Frames are
/// read from and written to the socket inside, whose Memory overloads complete without allocating; close, abort
/// and dispose still go through the wrapper, which also ends the HttpListener context.
/// </summary>
internal static class ListenerSocket
{
    private static readonly Type? WrapperType = typeof(System.Net.HttpListener).Assembly.GetType("System.Net.WebSockets.HttpWebSocket+HttpListenerWrappedWebSocket");

    // A private field of the runtime: when a runtime names it otherwise, the wrapper itself is used, as before.
    private static readonly FieldInfo? InnerField = WrapperType?.GetField("_inner", BindingFlags.Instance | BindingFlags.NonPublic) is { } f && typeof(WebSocket).IsAssignableFrom(f.FieldType) ? f : null;

    /// <summary>The socket under HttpListener's wrapper, or <paramref name="socket"/> itself.</summary>
    public static WebSocket Unwrap(WebSocket socket)
    {
        if (InnerField is null || socket.GetType() != WrapperType)
        {
            return socket;
        }

        try
        {
            return InnerField.GetValue(socket) as WebSocket ?? socket;
        }
        catch (Exception)
        {
            return socket;
        }
    }
}
