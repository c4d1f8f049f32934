using System;
using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Net.WebSockets;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;

namespace RapidMessageTools.Protocol;

/// <summary>What one receive call got: a chunk of a message.</summary>
internal readonly struct ReceivedChunk
{
    public ReceivedChunk(int count, WebSocketMessageType messageType, bool endOfMessage)
    {
        Count = count;
        MessageType = messageType;
        EndOfMessage = endOfMessage;
    }

    public int Count { get; }

    public WebSocketMessageType MessageType { get; }

    public bool EndOfMessage { get; }
}

/// <summary>
/// Receives from a WebSocket without allocating per call where the runtime allows it. netstandard2.0 has only
/// the ArraySegment overload, which allocates a Task and a WebSocketReceiveResult per call (about 280 bytes
/// per message between client and mock). On .NET Core the Memory overload, which returns a ValueTask and
/// allocates nothing when data is already there, is bound once at run time and used for sockets that
/// implement it (ClientWebSocket). Sockets that only inherit it, such as HttpListener's wrapper, and all
/// sockets on .NET Framework (Windows PowerShell 5.1), are read through the ArraySegment overload directly.
/// </summary>
internal static class WebSocketReceive
{
    private static readonly Func<WebSocket, Memory<byte>, CancellationToken, ValueTask<ReceivedChunk>>? MemoryReceive = BindMemoryReceive();

    /// <summary>Whether the allocation-free Memory overload is in use (true on .NET Core).</summary>
    public static bool UsesMemoryOverload => MemoryReceive is not null;

    private static readonly ConcurrentDictionary<Type, bool> ImplementsMemoryReceive = new();

    public static ValueTask<ReceivedChunk> ReceiveAsync(WebSocket socket, byte[] buffer, CancellationToken cancellationToken) =>
        MemoryReceive is { } receive && ImplementsMemoryReceive.GetOrAdd(socket.GetType(), Implements)
            ? receive(socket, buffer, cancellationToken)
            : ReceiveSegmentAsync(socket, buffer, cancellationToken);

    /// <summary>Whether <paramref name="type"/> itself implements the Memory overload (the base one only calls the ArraySegment one).</summary>
    internal static bool Implements(Type type) =>
        type.GetMethod(nameof(WebSocket.ReceiveAsync), [typeof(Memory<byte>), typeof(CancellationToken)])?.DeclaringType is { } declaring && declaring != typeof(WebSocket);

    private static async ValueTask<ReceivedChunk> ReceiveSegmentAsync(WebSocket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        var r = await socket.ReceiveAsync(new ArraySegment<byte>(buffer), cancellationToken).ConfigureAwait(false);
        return new ReceivedChunk(r.Count, r.MessageType, r.EndOfMessage);
    }

    private static Func<WebSocket, Memory<byte>, CancellationToken, ValueTask<ReceivedChunk>>? BindMemoryReceive()
    {
        try
        {
            var method = typeof(WebSocket).GetMethod(nameof(WebSocket.ReceiveAsync), [typeof(Memory<byte>), typeof(CancellationToken)]);
            if (method is null || !method.ReturnType.IsGenericType || method.ReturnType.GetGenericTypeDefinition() != typeof(ValueTask<>))
            {
                return null;
            }

            // ValueWebSocketReceiveResult: not in netstandard2.0, so its properties are read through a compiled lambda.
            var resultType = method.ReturnType.GetGenericArguments()[0];
            var result = Expression.Parameter(resultType, "result");
            var chunk = Expression.New(
                typeof(ReceivedChunk).GetConstructor([typeof(int), typeof(WebSocketMessageType), typeof(bool)])!,
                Expression.Property(result, "Count"),
                Expression.Property(result, "MessageType"),
                Expression.Property(result, "EndOfMessage"));
            var map = Expression.Lambda(typeof(Func<,>).MakeGenericType(resultType, typeof(ReceivedChunk)), chunk, result).Compile();

            var socket = Expression.Parameter(typeof(WebSocket), "socket");
            var memory = Expression.Parameter(typeof(Memory<byte>), "memory");
            var token = Expression.Parameter(typeof(CancellationToken), "token");
            var adapt = typeof(WebSocketReceive).GetMethod(nameof(Adapt), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(resultType);
            var body = Expression.Call(adapt, Expression.Call(socket, method, memory, token), Expression.Constant(map));
            return Expression.Lambda<Func<WebSocket, Memory<byte>, CancellationToken, ValueTask<ReceivedChunk>>>(body, socket, memory, token).Compile();
        }
        catch (Exception)
        {
            return null;
        }
    }

    private static ValueTask<ReceivedChunk> Adapt<T>(ValueTask<T> pending, Func<T, ReceivedChunk> map) =>
        pending.IsCompletedSuccessfully ? new ValueTask<ReceivedChunk>(map(pending.Result)) : AwaitAsync(pending, map);

    private static async ValueTask<ReceivedChunk> AwaitAsync<T>(ValueTask<T> pending, Func<T, ReceivedChunk> map) =>
        map(await pending.ConfigureAwait(false));
}
