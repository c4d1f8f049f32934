using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Authentication;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Buffers;
using RapidMessageTools.Logging;
using RapidMessageTools.Protocol;
using RapidMessageTools.Protocol.Profiles;

namespace RapidMessageTools.Client;

/// <summary>A frame as received, with the send it answers when it could be correlated.</summary>
public readonly struct ReceivedFrame
{
    public ReceivedFrame(ProtocolFrame frame, long receivedTimestamp)
    {
        Frame = frame;
        ReceivedTimestamp = receivedTimestamp;
    }

    public ProtocolFrame Frame { get; }

    /// <summary><see cref="Stopwatch.GetTimestamp"/> when the frame was read.</summary>
    public long ReceivedTimestamp { get; }
}

/// <summary>
/// One WebSocket connection speaking the protocol: connect with retry and backoff, a receive loop
/// that decodes every frame and hands it to <see cref="FrameReceived"/>, serialized sends, and
/// state queries correlated by request_id (or, when a server does not echo it, by arrival order).
/// </summary>
public sealed class RapidConnection : IDisposable
{
    private static long _nextId;

    private readonly ClientWebSocket _socket;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly PooledBufferWriter _sendBuffer = new(1024);
    private readonly IProtocolSession _session;
    // The frame each send fills: sends are serialized, so one per connection suffices.
    private readonly ProtocolFrame _outgoing = new();
    private readonly List<ProtocolFrame> _incoming = new(1);
    private readonly TaskCompletionSource<string?> _handshake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<ProtocolFrame>> _queries = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Type, string RequestId)> _queryOrder = new();
    private readonly FrameTraceWriter? _trace;
    private Task _receiveLoop = Task.CompletedTask;
    private long _requestCounter;
    private long _malformed;
    private long _received;
    private int _closing;
    private int _ended;
    private bool _serverEchoesRequestId;
    private long _sendStarted;
    private long _sendLimitTicks;
    private long _lastSend = Stopwatch.GetTimestamp();
    private int _keepAliveSending;

    private RapidConnection(ClientWebSocket socket, string url, FrameTraceWriter? trace, IProtocolSession session)
    {
        _socket = socket;
        Url = url;
        _trace = trace;
        _session = session;
        Id = Interlocked.Increment(ref _nextId);
    }

    public long Id { get; }

    /// <summary>The URL connected to, token redacted.</summary>
    public string Url { get; }

    /// <summary>Called on the receive loop's thread for every decoded frame, in arrival order. Set before sending.</summary>
    public Action<ReceivedFrame>? FrameReceived { get; set; }

    /// <summary>Called once when the connection ends without this side asking.</summary>
    public Action<RapidConnection>? ClosedUnexpectedly { get; set; }

    public bool IsOpen => _socket.State == WebSocketState.Open;

    /// <summary>The profile this connection speaks.</summary>
    public ProtocolProfile Profile => _session.Profile;

    /// <summary>Frames that did not decode as a JSON object.</summary>
    public long MalformedFrames => Interlocked.Read(ref _malformed);

    public long FramesReceived => Interlocked.Read(ref _received);

    /// <summary>True when the server closed or the connection broke while we had not asked to close.</summary>
    public bool EndedUnexpectedly { get; private set; }

    /// <summary>"1011 reason", "aborted: …" — how an unexpected end looked.</summary>
    public string? CloseReason { get; private set; }

    /// <summary>Completes when the receive loop ends.</summary>
    public Task Completion => _receiveLoop;

    /// <summary>Connects, retrying with exponential backoff and jitter; throws <see cref="RapidConnectionException"/> after the last attempt.</summary>
    public static async Task<RapidConnection> ConnectAsync(ConnectionOptions options, IRunLog? log, CancellationToken cancellationToken)
    {
        if (options is null)
        {
            throw new ArgumentNullException(nameof(options));
        }

        log ??= NullRunLog.Instance;
        var uri = options.BuildUri();
        var hub = options.Profile.Transport == ProfileTransport.SignalR;
        var shownUrl = ConnectionOptions.Redact(uri.ToString());
        var attempts = Math.Max(1, options.ConnectAttempts);
        var random = new Random();
        Exception? last = null;
        var failure = ConnectFailure.Other;
        int? status = null;
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            var socket = CreateSocket(options);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(options.ConnectTimeoutSec));
            RapidConnection? connection = null;
            try
            {
                var target = hub
                    ? await HubNegotiation.NegotiateAsync(uri, options.Token, options.Profile.SkipNegotiation, TimeSpan.FromSeconds(options.ConnectTimeoutSec), timeout.Token).ConfigureAwait(false)
                    : uri;
                await socket.ConnectAsync(target, timeout.Token).ConfigureAwait(false);
                connection = new RapidConnection(socket, shownUrl, options.Trace, ProtocolSessions.Create(options.Profile, ProtocolRole.Client, options.Observations));
                connection.StartSendWatchdog(TimeSpan.FromSeconds(options.SendTimeoutSec));
                options.Trace?.Event(connection.Id, "connected to " + shownUrl);
                connection._receiveLoop = Task.Run(connection.ReceiveLoopAsync);
                await connection.OpenSessionAsync(timeout.Token).ConfigureAwait(false);
                return connection;
            }
            catch (HubHandshakeException ex)
            {
                connection?.Dispose();
                throw new RapidConnectionException(shownUrl, attempt, ConnectFailure.Other, null, $"Connected to {shownUrl}, but the hub refused the SignalR handshake: \"{ex.Message}\". Check that the hub speaks the JSON hub protocol (AddSignalR().AddJsonProtocol()) and that the profile's Transport is right.", ex);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                connection?.Dispose();
                socket.Dispose();
                last = ex;
                (failure, status) = ex is HubNegotiationException n
                    ? (n.Status is 401 or 403 ? ConnectFailure.AuthRequired : n.Status is 404 ? ConnectFailure.NotWebSocket : ConnectFailure.HttpError, n.Status)
                    : ConnectionFailures.Classify(ex, WebSocketDetails.StatusCode(socket), timeout.IsCancellationRequested);
                if (ex is HubNegotiationException { Status: null })
                {
                    failure = ConnectFailure.Other;
                }

                log.Verbose($"Connect attempt {attempt} of {attempts} to {shownUrl} failed: {Describe(failure, status, ex)}");
                if (!ConnectionFailures.IsWorthRetrying(failure))
                {
                    // Retrying will not change the answer.
                    attempts = attempt;
                    break;
                }

                if (attempt < attempts)
                {
                    var backoff = options.BackoffSeconds * Math.Pow(2, attempt - 1) * (1 + (random.NextDouble() * 0.5));
                    await Task.Delay(TimeSpan.FromSeconds(backoff), cancellationToken).ConfigureAwait(false);
                }
            }
        }

        throw new RapidConnectionException(shownUrl, attempts, failure, status, FailureMessage(shownUrl, attempts, failure, status, last, options.RealBackend), last);
    }

    /// <summary>Sends a user_message. Thread-safe; sends are serialized.</summary>
    public Task SendUserMessageAsync(string messageId, long sequenceId, string content, string? agentId, CancellationToken cancellationToken) =>
        SendAsync(
            static (f, s) =>
            {
                f.Type = MessageType.UserMessage;
                f.MessageId = s.messageId;
                f.SequenceId = s.sequenceId;
                f.Content = s.content;
                f.AgentId = s.agentId;
            },
            (messageId, sequenceId, content, agentId),
            cancellationToken);

    /// <summary>Sends cancel for a message whose reply is queued or streaming. Thread-safe.</summary>
    public Task SendCancelAsync(string messageId, CancellationToken cancellationToken) =>
        SendAsync(
            static (f, id) =>
            {
                f.Type = MessageType.Cancel;
                f.MessageId = id;
            },
            messageId,
            cancellationToken);

    /// <summary>Sends any text as one frame (for tests of bad input).</summary>
    public async Task SendTextAsync(string text, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(text);
            _trace?.Sent(Id, bytes);
            cancellationToken.ThrowIfCancellationRequested();
            await _socket.SendAsync(new ArraySegment<byte>(bytes), WebSocketMessageType.Text, true, _lifetime.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw ConnectionEnded(ex);
        }
        catch (Exception ex) when (ex is WebSocketException or System.IO.IOException or ObjectDisposedException && Volatile.Read(ref _closing) == 0)
        {
            throw ConnectionEnded(ex);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Asks for agent_state and waits for it (<paramref name="timeout"/>).</summary>
    public Task<ProtocolFrame> QueryAgentStateAsync(string? agentId, TimeSpan timeout, CancellationToken cancellationToken) =>
        QueryAsync(MessageType.GetAgentState, MessageType.AgentState, agentId, timeout, cancellationToken);

    /// <summary>Asks for queue_state and waits for it.</summary>
    public Task<ProtocolFrame> QueryQueueStateAsync(string? agentId, TimeSpan timeout, CancellationToken cancellationToken) =>
        QueryAsync(MessageType.GetQueueState, MessageType.QueueState, agentId, timeout, cancellationToken);

    /// <summary>Sends ping and waits for pong.</summary>
    public Task<ProtocolFrame> PingAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        QueryAsync(MessageType.Ping, MessageType.Pong, null, timeout, cancellationToken);

    /// <summary>Closes cleanly (waiting at most <paramref name="timeout"/> for the server's close), then releases the socket.</summary>
    public async Task CloseAsync(TimeSpan timeout)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            return;
        }

        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var cts = new CancellationTokenSource(timeout);
                await _sendLock.WaitAsync(cts.Token).ConfigureAwait(false);
                try
                {
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token).ConfigureAwait(false);
                }
                finally
                {
                    _sendLock.Release();
                }

                await Task.WhenAny(_receiveLoop, Task.Delay(timeout)).ConfigureAwait(false);
            }
        }
        catch (Exception)
        {
            // The peer is gone already; aborting below is all that is left.
        }
        finally
        {
            Dispose();
        }
    }

    public void Dispose()
    {
        Interlocked.Exchange(ref _closing, 1);
        SendWatchdog.Remove(this);
        try
        {
            _lifetime.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        _socket.Abort();
        _socket.Dispose();
        FailQueries(new ObjectDisposedException(nameof(RapidConnection)));
    }

    /// <summary>
    /// A send that stays blocked past <paramref name="limit"/> means the server stopped reading: abort, so
    /// the scenario sees an unexpected close instead of hanging. One timer per connection, no cost per send.
    /// </summary>
    private void StartSendWatchdog(TimeSpan limit)
    {
        _sendLimitTicks = (long)(limit.TotalSeconds * Stopwatch.Frequency);
        SendWatchdog.Add(this);
    }

    /// <summary>Called about once a second by <see cref="SendWatchdog"/>: ends the connection when a send has been blocked past the limit.</summary>
    internal void CheckSendBlocked(long now)
    {
        var started = Interlocked.Read(ref _sendStarted);
        if (started != 0 && now - started > _sendLimitTicks && Volatile.Read(ref _closing) == 0)
        {
            EndUnexpectedly(FormattableString.Invariant($"a send was blocked for more than {_sendLimitTicks / (double)Stopwatch.Frequency:0.#} s: the server stopped reading"));
            _socket.Abort();
        }
        else
        {
            KeepAliveIfIdle(now);
        }
    }

    /// <summary>How a connection that ended without a close frame is described (the runtime's own text names its internal states).</summary>
    internal const string DroppedWithoutClose = "the server dropped the connection without a close frame";

    /// <summary>A send or query found the connection gone: records the drop (once) and says so plainly.</summary>
    private WebSocketException ConnectionEnded(Exception inner)
    {
        if (Volatile.Read(ref _closing) == 0)
        {
            EndUnexpectedly(DroppedWithoutClose);
        }

        return new WebSocketException(WebSocketError.ConnectionClosedPrematurely, "The connection ended: " + (CloseReason ?? DroppedWithoutClose) + ".", inner);
    }

    /// <summary>Why the receive loop ended, in words: a dropped connection, or the kind of failure.</summary>
    private static string DescribeBreak(Exception ex) => ex switch
    {
        WebSocketException { WebSocketErrorCode: WebSocketError.ConnectionClosedPrematurely or WebSocketError.InvalidState } => DroppedWithoutClose,
        WebSocketException { InnerException: System.IO.IOException or SocketException } => DroppedWithoutClose,
        System.IO.IOException or SocketException or OperationCanceledException or ObjectDisposedException => DroppedWithoutClose,
        WebSocketException w => "the connection broke (" + w.WebSocketErrorCode.ToString() + ")",
        _ => "the connection broke (" + ex.GetType().Name + ")",
    };

    private static ClientWebSocket CreateSocket(ConnectionOptions options)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(30);
        if (options.Token is not null && options.TokenTransport == TokenTransport.Header)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + options.Token);
        }

        WebSocketDetails.CollectResponseDetails(socket);
        return socket;
    }

    private static string Describe(ConnectFailure failure, int? status, Exception ex) => failure switch
    {
        ConnectFailure.ConnectionRefused => "connection refused",
        ConnectFailure.Timeout => "timed out",
        ConnectFailure.DnsFailure => "host not found",
        ConnectFailure.AuthRequired => $"HTTP {status}: the server refused the credentials",
        ConnectFailure.NotWebSocket => status is null ? "no WebSocket upgrade" : $"HTTP {status} instead of a WebSocket upgrade",
        ConnectFailure.HttpError => $"HTTP {status}: the server failed the upgrade",
        ConnectFailure.TlsFailure => "TLS handshake failed",
        ConnectFailure.ConnectionReset => "the connection was reset",
        ConnectFailure.Unreachable => "network or host unreachable",
        _ => (ex.InnerException ?? ex).Message,
    };

    private static string FailureMessage(string url, int attempts, ConnectFailure failure, int? status, Exception? last, bool realBackend)
    {
        var what = Describe(failure, status, last ?? new InvalidOperationException("unknown"));
        var todo = failure switch
        {
            ConnectFailure.ConnectionRefused => "Nothing listens there: start the backend (Start-RapidMockServer -SetEnvironment for the mock) or fix the URL (-Url or E2E_WEBSOCKET_URL).",
            ConnectFailure.Timeout => "The server did not answer in time: check that the host and port are right and reachable, or raise -TimeoutSec.",
            ConnectFailure.DnsFailure => "Check the host name in -Url or E2E_WEBSOCKET_URL.",
            ConnectFailure.AuthRequired when realBackend => "Pass a valid, unexpired token for this backend: -Token (Get-RapidTestToken).Token, with E2E_AUTH_SERVICE_URL naming its auth service; Test-RapidEnvironment -IncludeTokenCheck checks the pair.",
            ConnectFailure.AuthRequired => "Pass a valid token (-Token, from Get-RapidTestToken) or start the mock without -RequireAuth.",
            ConnectFailure.NotWebSocket => "The URL answers HTTP but is not a WebSocket endpoint: check the path (the mock's is /ws).",
            ConnectFailure.TlsFailure => "Check the certificate of the wss:// endpoint, or use ws:// for a local server.",
            _ => "Check the URL (-Url or E2E_WEBSOCKET_URL) and that the backend is running, or set SKIP_REAL_SERVICES=true to use the mock.",
        };
        return $"Could not connect to {url} after {attempts} attempt(s): {what}. {todo}";
    }

    /// <summary>Fills the connection's outgoing frame (canonical) and sends it as the session writes it.</summary>
    private async Task SendAsync<TState>(Action<ProtocolFrame, TState> fill, TState state, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _sendBuffer.Clear();
            _outgoing.Reset();
            fill(_outgoing, state);
            _session.Write(_outgoing, _sendBuffer);
            await SendBufferedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Sends what <see cref="_sendBuffer"/> holds. Call under the send lock.</summary>
    private async Task SendBufferedAsync(CancellationToken cancellationToken)
    {
        try
        {
            _trace?.Sent(Id, _sendBuffer.WrittenSpan);
            Interlocked.Exchange(ref _sendStarted, Stopwatch.GetTimestamp());

            // Never cancel a send half-way: ClientWebSocket aborts the whole socket when a send is cancelled.
            // The caller's token is honoured before the send starts; the connection's own lifetime ends it.
            cancellationToken.ThrowIfCancellationRequested();
            await _socket.SendAsync(_sendBuffer.WrittenSegment, WebSocketMessageType.Text, true, _lifetime.Token).ConfigureAwait(false);
            Volatile.Write(ref _lastSend, Stopwatch.GetTimestamp());
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested || ex.CancellationToken == _lifetime.Token)
        {
            // ManagedWebSocket reports a broken pipe on an aborted socket as a cancellation: it is a dropped connection.
            throw ConnectionEnded(ex);
        }
        catch (Exception ex) when (ex is WebSocketException or System.IO.IOException or ObjectDisposedException && Volatile.Read(ref _closing) == 0)
        {
            // A send on a connection the server dropped ("invalid state", broken pipe): say so plainly.
            throw ConnectionEnded(ex);
        }
        finally
        {
            Interlocked.Exchange(ref _sendStarted, 0);
        }
    }

    /// <summary>Sends raw protocol bytes (a handshake, a keep-alive) under the send lock.</summary>
    private async Task SendRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _sendBuffer.Clear();
            _sendBuffer.Write(bytes.Span);
            await SendBufferedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Opens the protocol session: sends its opening (SignalR's handshake) and waits for the answer.</summary>
    private async Task OpenSessionAsync(CancellationToken cancellationToken)
    {
        if (_session.Opening.IsEmpty)
        {
            return;
        }

        await SendRawAsync(_session.Opening, cancellationToken).ConfigureAwait(false);
        using (cancellationToken.Register(() => _handshake.TrySetCanceled()))
        {
            var error = await _handshake.Task.ConfigureAwait(false);
            if (error is not null)
            {
                throw new HubHandshakeException(error);
            }
        }
    }

    /// <summary>Called by <see cref="SendWatchdog"/>: a protocol keep-alive (SignalR's Ping record) after its interval without sends.</summary>
    private void KeepAliveIfIdle(long now)
    {
        var interval = _session.KeepAliveInterval;
        if (interval <= TimeSpan.Zero || Volatile.Read(ref _closing) != 0 || now - Volatile.Read(ref _lastSend) < interval.TotalSeconds * Stopwatch.Frequency
            || Interlocked.Exchange(ref _keepAliveSending, 1) != 0)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await SendRawAsync(_session.KeepAlive, _lifetime.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The connection is ending; the receive loop reports how.
            }
            finally
            {
                Volatile.Write(ref _keepAliveSending, 0);
            }
        });
    }

    private async Task<ProtocolFrame> QueryAsync(string requestType, string replyType, string? agentId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var requestId = "q" + Id.ToString(CultureInfo.InvariantCulture) + "-" + Interlocked.Increment(ref _requestCounter).ToString(CultureInfo.InvariantCulture);
        var tcs = new TaskCompletionSource<ProtocolFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
        _queries[requestId] = tcs;
        if (!Volatile.Read(ref _serverEchoesRequestId))
        {
            _queryOrder.Enqueue((replyType, requestId));
        }
        try
        {
            await SendAsync(
                static (f, q) =>
                {
                    f.Type = q.requestType;
                    f.RequestId = q.requestId;
                    f.AgentId = q.agentId;
                },
                (requestType, requestId, agentId),
                cancellationToken).ConfigureAwait(false);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(timeout);
            using (cts.Token.Register(() => tcs.TrySetCanceled()))
            {
                try
                {
                    return await tcs.Task.ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"No {replyType} within {timeout.TotalSeconds:0.###} s.");
                }
            }
        }
        finally
        {
            _queries.TryRemove(requestId, out _);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffers = new ReceiveBuffer();
        using var assembled = new PooledBufferWriter(256); // grows only for fragmented or large frames
        var insideMessage = false;
        try
        {
            while (true)
            {
                var buffer = buffers.For(insideMessage);
                var result = await WebSocketReceive.ReceiveAsync(_socket, buffer, _lifetime.Token).ConfigureAwait(false);
                insideMessage = !result.EndOfMessage;
                var now = Stopwatch.GetTimestamp();
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (Volatile.Read(ref _closing) == 0)
                    {
                        EndUnexpectedly(FormattableString.Invariant($"{(int?)_socket.CloseStatus} {_socket.CloseStatusDescription}").Trim());
                        try
                        {
                            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                            await _sendLock.WaitAsync(cts.Token).ConfigureAwait(false);
                            try
                            {
                                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token).ConfigureAwait(false);
                            }
                            finally
                            {
                                _sendLock.Release();
                            }
                        }
                        catch (Exception)
                        {
                        }
                    }

                    return;
                }

                ReadOnlySpan<byte> payload;
                if (result.EndOfMessage && assembled.WrittenCount == 0)
                {
                    payload = buffer.AsSpan(0, result.Count);
                }
                else
                {
                    assembled.Write(buffer.AsSpan(0, result.Count));
                    if (!result.EndOfMessage)
                    {
                        continue;
                    }

                    payload = assembled.WrittenSpan;
                    buffers.MessageDone();
                }

                Interlocked.Increment(ref _received);
                _trace?.Received(Id, payload, result.MessageType == WebSocketMessageType.Binary);
                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    Interlocked.Increment(ref _malformed);
                }
                else if (!ReadPayload(payload, now))
                {
                    return;
                }

                assembled.Clear();
            }
        }
        catch (Exception ex)
        {
            if (Volatile.Read(ref _closing) == 0)
            {
                EndUnexpectedly(DescribeBreak(ex));
            }
        }
        finally
        {
            buffers.Dispose();
            _handshake.TrySetResult("the connection ended before the handshake was answered: " + (CloseReason ?? "closed"));
            FailQueries(new WebSocketException(WebSocketError.ConnectionClosedPrematurely, "The connection ended: " + (CloseReason ?? "closed") + "."));
        }
    }

    /// <summary>Reads one message through the session and dispatches its frames; false when the session ended (a hub's Close record).</summary>
    private bool ReadPayload(ReadOnlySpan<byte> payload, long now)
    {
        _incoming.Clear();
        var read = _session.Read(payload, _incoming);
        if (read.Malformed > 0)
        {
            Interlocked.Add(ref _malformed, read.Malformed);
        }

        if (read.HandshakeError is not null || !_handshake.Task.IsCompleted)
        {
            _handshake.TrySetResult(read.HandshakeError);
        }

        foreach (var frame in _incoming)
        {
            Dispatch(frame, now);
        }

        if (read.Closed && Volatile.Read(ref _closing) == 0)
        {
            EndUnexpectedly(read.CloseError is null ? "the hub closed the connection" : "the hub closed the connection with an error: " + read.CloseError);
            _socket.Abort();
            return false;
        }

        return true;
    }

    private void Dispatch(ProtocolFrame frame, long receivedTimestamp)
    {
        if (frame.Type is MessageType.AgentState or MessageType.QueueState or MessageType.Pong)
        {
            CompleteQuery(frame);
        }
        else if (frame.Type == MessageType.Error && frame.RequestId is not null && _queries.TryGetValue(frame.RequestId, out var failed))
        {
            failed.TrySetException(new InvalidOperationException($"The server answered {frame.Code}: {frame.Message}"));
        }

        FrameReceived?.Invoke(new ReceivedFrame(frame, receivedTimestamp));
    }

    private void CompleteQuery(ProtocolFrame frame)
    {
        if (frame.RequestId is not null && _queries.TryGetValue(frame.RequestId, out var tcs))
        {
            if (!_serverEchoesRequestId)
            {
                // The server echoes request_id: the arrival-order fallback is not needed.
                Volatile.Write(ref _serverEchoesRequestId, true);
                while (_queryOrder.TryDequeue(out _))
                {
                }
            }

            tcs.TrySetResult(frame);
            return;
        }

        // A server that does not echo request_id: answer the oldest open query of this type.
        var count = _queryOrder.Count;
        for (var i = 0; i < count && _queryOrder.TryDequeue(out var q); i++)
        {
            if (q.Type == frame.Type && _queries.TryGetValue(q.RequestId, out var open) && !open.Task.IsCompleted)
            {
                open.TrySetResult(frame);
                return;
            }

            if (_queries.ContainsKey(q.RequestId))
            {
                _queryOrder.Enqueue(q);
            }
        }
    }

    private void EndUnexpectedly(string reason)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        EndedUnexpectedly = true;
        CloseReason = reason;
        _trace?.Event(Id, "ended unexpectedly: " + reason);
        ClosedUnexpectedly?.Invoke(this);
    }

    private void FailQueries(Exception error)
    {
        foreach (var q in _queries.Values)
        {
            q.TrySetException(error);
        }
    }
}

/// <summary>The hub answered the SignalR handshake with an error.</summary>
public sealed class HubHandshakeException : Exception
{
    public HubHandshakeException(string message)
        : base(message)
    {
    }

    public HubHandshakeException()
    {
    }

    public HubHandshakeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
