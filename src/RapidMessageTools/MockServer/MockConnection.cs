using System;
using System.Collections.Generic;
using System.Net;
using System.Net.WebSockets;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Buffers;
using RapidMessageTools.Protocol;
using RapidMessageTools.Protocol.Profiles;

namespace RapidMessageTools.MockServer;

/// <summary>
/// One accepted WebSocket: a receive loop that hands frames to the backend, and a send queue drained
/// by at most one sender at a time, so the receive loop never waits on a slow reader.
/// </summary>
internal sealed class MockConnection : IReplySink
{
    private static long _nextId;

    private readonly HttpListenerContext _context;
    private readonly WebSocket _socket;
    // The socket frames are read from and written to: HttpListener's own under its wrapper (see ListenerSocket).
    private readonly WebSocket _io;
    // Under _io where the runtime allows (see ListenerSocket.BatchSocketIo): frames are read and written in batches.
    private readonly BatchingStream? _batched;
    private readonly MockBackend _backend;
    private readonly MockServerOptions _options;
    private readonly MockServerCounters _counters;
    // Frames queued for the wire (filled under _outboundLock) and the batch the drainer is sending (owned by it,
    // under _sendLock): swapped whole, so a burst of replies costs no array per frame and an idle connection no buffer.
    private readonly object _outboundLock = new();
    private OutboundFrames _outbound = new();
    private OutboundFrames _sending = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _cts;
    // A profile's translation (null for the built-in protocol, whose frames pass as they are).
    private readonly IProtocolSession? _session;
    private readonly List<ProtocolFrame> _incoming = [];
    private readonly PooledBufferWriter? _translated;
    private readonly Timer? _keepAlive;
    private long _pendingBytes;
    private int _draining;
    private int _aborted;
    private int _userMessages;

    public MockConnection(HttpListenerContext context, WebSocket socket, MockBackend backend, UserState user, MockServerOptions options, MockServerCounters counters, CancellationToken stopping)
    {
        _context = context;
        _socket = socket;
        _io = ListenerSocket.Unwrap(socket);
        _batched = ListenerSocket.BatchSocketIo(_io);
        _backend = backend;
        User = user;
        _options = options;
        _counters = counters;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        Id = Interlocked.Increment(ref _nextId);
        if (!options.Profile.IsBuiltIn)
        {
            _session = ProtocolSessions.Create(options.Profile, ProtocolRole.Server, observations: null);
            _translated = new PooledBufferWriter(512);
            var every = _session.KeepAliveInterval;
            if (every > TimeSpan.Zero)
            {
                // SignalR clients close a connection that has been silent for 30 s: a Ping record every 15 s.
                _keepAlive = new Timer(static s => ((MockConnection)s!).EnqueueWire(((MockConnection)s!)._session!.KeepAlive.Span), this, every, every);
            }
        }
    }

    public long Id { get; }

    // Under a BatchingStream a send waits only while the socket is behind, and an abort ends that wait, so no
    // token: a cancellable send takes the WebSocket's slower path, with a registration per frame.
    private CancellationToken SendToken => _batched is null ? _cts.Token : CancellationToken.None;

    public UserState User { get; }

    public void Send(ReadOnlySpan<byte> frame)
    {
        if (_session is not null)
        {
            SendTranslated(frame);
            return;
        }

        EnqueueWire(frame);
    }

    /// <summary>A canonical frame from the backend, written as the profile wants it and queued.</summary>
    private void SendTranslated(ReadOnlySpan<byte> canonical)
    {
        if (FrameCodec.TryDecode(canonical, out var frame) != DecodeStatus.Ok)
        {
            EnqueueWire(canonical);
            return;
        }

        lock (_translated!)
        {
            _translated.Clear();
            _session!.Write(frame, _translated);
            if (_translated.WrittenCount > 0)
            {
                EnqueueWire(_translated.WrittenSpan);
            }
        }
    }

    /// <summary>Queues bytes as they go on the wire (copied). Never blocks.</summary>
    private void EnqueueWire(ReadOnlySpan<byte> frame)
    {
        if (Volatile.Read(ref _aborted) != 0)
        {
            return;
        }

        if (Interlocked.Add(ref _pendingBytes, frame.Length) > _options.MaxPendingSendBytes)
        {
            // The client stopped reading: close it rather than grow without bound or block a worker.
            Abort();
            return;
        }

        lock (_outboundLock)
        {
            _outbound.Add(frame);
        }

        if (Interlocked.CompareExchange(ref _draining, 1, 0) == 0)
        {
            _ = DrainAsync();
        }
    }

    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        _keepAlive?.Dispose();

        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        _socket.Abort();
        try
        {
            _context.Response.Abort();
        }
        catch (Exception)
        {
        }
    }

    /// <summary>Server shutdown: close 1001 (Going Away) if it can be sent within <paramref name="timeout"/>, then drop the connection.</summary>
    public async Task GoAwayAsync(TimeSpan timeout)
    {
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            await CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "The server is stopping.", cts.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The peer is gone or slow: it gets the abort instead.
        }
        finally
        {
            Abort();
        }
    }

    /// <summary>Runs the connection until the peer closes, the server stops, or a fault ends it.</summary>
    public async Task RunAsync()
    {
        using var buffers = new ReceiveBuffer();
        // Made on the first fragmented or large frame only: an idle connection (most of 10,000) holds no assembly buffer.
        PooledBufferWriter? assembled = null;
        var token = _cts.Token;
        var insideMessage = false;
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var buffer = buffers.For(insideMessage);
                var result = await WebSocketReceive.ReceiveAsync(_io, buffer, token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await CloseOutputAsync(_socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, null, token).ConfigureAwait(false);
                    break;
                }

                var assembledCount = assembled?.WrittenCount ?? 0;
                if (assembledCount + result.Count > _options.MaxMessageBytes)
                {
                    Interlocked.Increment(ref _counters.OversizeClosed);
                    await CloseTooBigAsync(buffers.For(insideMessage: true), token).ConfigureAwait(false);
                    break;
                }

                if (result.EndOfMessage && assembledCount == 0)
                {
                    Dispatch(result.MessageType, buffer.AsSpan(0, result.Count));
                }
                else
                {
                    assembled ??= new PooledBufferWriter(256);
                    assembled.Write(buffer.AsSpan(0, result.Count));
                    if (result.EndOfMessage)
                    {
                        Dispatch(result.MessageType, assembled.WrittenSpan);
                        assembled.Clear();
                    }
                }

                insideMessage = !result.EndOfMessage;
                if (!insideMessage)
                {
                    buffers.MessageDone();
                }

                if (Volatile.Read(ref _aborted) != 0)
                {
                    break;
                }
            }
        }
        catch (Exception)
        {
            // The peer vanished, sent garbage at the framing level, or the server is stopping.
        }
        finally
        {
            Abort();
            _cts.Dispose();
            assembled?.Dispose();
        }
    }

    private void Dispatch(WebSocketMessageType type, ReadOnlySpan<byte> payload)
    {
        if (type == WebSocketMessageType.Binary)
        {
            _backend.RejectBinary(this);
            return;
        }

        var wasUserMessage = _session is null ? _backend.HandleText(this, User, payload) : HandleThroughSession(payload);
        var limit = _options.Fault.DisconnectAfter;
        if (limit > 0 && wasUserMessage && Interlocked.Increment(ref _userMessages) >= limit)
        {
            Abort();
        }
    }

    /// <summary>A profile's frame: read by the session into canonical frames for the backend; what the session cannot read, the backend answers as bad input.</summary>
    private bool HandleThroughSession(ReadOnlySpan<byte> payload)
    {
        _incoming.Clear();
        var read = _session!.Read(payload, _incoming);
        if (read.Respond is not null)
        {
            EnqueueWire(read.Respond);
        }

        var wasUserMessage = false;
        if (read.Malformed > 0)
        {
            _backend.HandleText(this, User, payload);
        }

        foreach (var frame in _incoming)
        {
            wasUserMessage |= _backend.HandleFrame(this, User, frame);
        }

        if (read.Closed)
        {
            _ = GoAwayAsync(TimeSpan.FromSeconds(1));
        }

        return wasUserMessage;
    }

    private async Task DrainAsync()
    {
        try
        {
            while (true)
            {
                await _sendLock.WaitAsync(_cts.Token).ConfigureAwait(false);
                try
                {
                    while (TakeBatch())
                    {
                        var batch = _sending;
                        var offset = 0;
                        for (var i = 0; i < batch.Count; i++)
                        {
                            var length = batch.Length(i);
                            await _io.SendAsync(new ArraySegment<byte>(batch.Bytes, offset, length), WebSocketMessageType.Text, true, SendToken).ConfigureAwait(false);
                            offset += length;
                            Interlocked.Add(ref _pendingBytes, -length);
                        }

                        batch.Clear();
                    }

                    ReleaseIdleBuffers();
                }
                finally
                {
                    _sendLock.Release();
                }

                Volatile.Write(ref _draining, 0);
                if (IsOutboundEmpty() || Interlocked.CompareExchange(ref _draining, 1, 0) != 0)
                {
                    return;
                }
            }
        }
        catch (Exception)
        {
            Abort();
        }
    }

    /// <summary>Swaps the queued frames into the batch being sent; false when none are queued. Caller holds _sendLock.</summary>
    private bool TakeBatch()
    {
        lock (_outboundLock)
        {
            if (_outbound.Count == 0)
            {
                return false;
            }

            (_outbound, _sending) = (_sending, _outbound);
            return true;
        }
    }

    /// <summary>Nothing left to send: both batches give their buffers back, so an idle connection holds none. Caller holds _sendLock.</summary>
    private void ReleaseIdleBuffers()
    {
        _sending.Release();
        lock (_outboundLock)
        {
            if (_outbound.Count == 0)
            {
                _outbound.Release();
            }
        }
    }

    private bool IsOutboundEmpty()
    {
        lock (_outboundLock)
        {
            return _outbound.Count == 0;
        }
    }

    private async Task CloseOutputAsync(WebSocketCloseStatus status, string? reason, CancellationToken token)
    {
        await _sendLock.WaitAsync(token).ConfigureAwait(false);
        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                timeout.CancelAfter(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(status, reason, timeout.Token).ConfigureAwait(false);
                if (_batched is not null)
                {
                    // The close may be held with the replies to the frames just read: it goes out now.
                    await _batched.WriteHeldAsync().ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Sends close 1009, then reads and discards what the peer still sends until its close frame (2 s at most).</summary>
    private async Task CloseTooBigAsync(byte[] buffer, CancellationToken token)
    {
        await CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "Frame exceeds the server's size limit.", token).ConfigureAwait(false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        while (_socket.State == WebSocketState.CloseSent)
        {
            var r = await _io.ReceiveAsync(new ArraySegment<byte>(buffer), timeout.Token).ConfigureAwait(false);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                break;
            }
        }
    }
}
