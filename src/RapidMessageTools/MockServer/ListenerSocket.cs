using System;
using System.IO;
using System.Net.WebSockets;
using System.Reflection;

namespace RapidMessageTools.MockServer;

/// <summary>
/// HttpListener (managed, on .NET Core) hands out its WebSocket inside a wrapper that only forwards the
/// ArraySegment overloads: each receive through it allocates a Task and a WebSocketReceiveResult. Frames are
/// read from and written to the socket inside, whose Memory overloads complete without allocating; close, abort
/// and dispose still go through the wrapper, which also ends the HttpListener context.
/// The socket inside writes to a stream of the connection; <see cref="BatchSocketIo"/> puts a
/// <see cref="BatchingStream"/> there, so a batch of replies reaches the wire in one write.
/// </summary>
internal static class ListenerSocket
{
    private static readonly Type? WrapperType = typeof(System.Net.HttpListener).Assembly.GetType("System.Net.WebSockets.HttpWebSocket+HttpListenerWrappedWebSocket");

    // A private field of the runtime: when a runtime names it otherwise, the wrapper itself is used, as before.
    private static readonly FieldInfo? InnerField = WrapperType?.GetField("_inner", BindingFlags.Instance | BindingFlags.NonPublic) is { } f && typeof(WebSocket).IsAssignableFrom(f.FieldType) ? f : null;

    // The managed WebSocket's stream (a private field, as above): the runtimes that have one name it so; others,
    // and http.sys's WebSocket on .NET Framework, send frame by frame as before.
    private static readonly FieldInfo? StreamField = FindStreamField();

    /// <summary>Whether this runtime's WebSocket has a stream a <see cref="BatchingStream"/> can go under.</summary>
    public static bool CanBatch => StreamField is not null;

    /// <summary>Whether new connections batch where they can (a test switch: false runs the frame-by-frame path of http.sys).</summary>
    public static bool Batching { get; set; } = true;

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

    /// <summary>
    /// Puts a <see cref="BatchingStream"/> under <paramref name="socket"/> (the unwrapped one, before its first
    /// send or receive) and returns it; null when this runtime's WebSocket has no stream to put it under.
    /// </summary>
    public static BatchingStream? BatchSocketIo(WebSocket socket)
    {
        var field = StreamField;
        if (!Batching || field is null || field.DeclaringType != socket.GetType())
        {
            return null;
        }

        try
        {
            if (field.GetValue(socket) is not Stream stream || stream is BatchingStream)
            {
                return null;
            }

            var batched = new BatchingStream(stream);
            field.SetValue(socket, batched);
            return batched;
        }
        catch (Exception)
        {
            return null;
        }
    }

    private static FieldInfo? FindStreamField()
    {
        var managed = typeof(WebSocket).Assembly.GetType("System.Net.WebSockets.ManagedWebSocket");
        var field = managed?.GetField("_stream", BindingFlags.Instance | BindingFlags.NonPublic);
        return field is not null && field.FieldType == typeof(Stream) ? field : null;
    }
}
