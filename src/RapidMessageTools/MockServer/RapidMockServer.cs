using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Buffers;
using RapidMessageTools.Protocol;
using RapidMessageTools.Protocol.Profiles;

namespace RapidMessageTools.MockServer;

/// <summary>
/// A running mock backend: WebSocket (<c>/ws</c>), <c>/health</c> and <c>/auth/test-user</c> on one port.
/// Create with <see cref="Start"/>; stop with <see cref="StopAsync"/> or <see cref="Dispose"/>.
/// </summary>
public sealed class RapidMockServer : IDisposable
{
    private static int _nextId;

    private readonly HttpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly MockServerCounters _counters = new();
    private readonly MockBackend _backend;
    private readonly byte[] _secret;
    private readonly ConcurrentDictionary<long, MockConnection> _connections = new();
    private readonly ConcurrentDictionary<Task, byte> _tasks = new();
    private readonly Stopwatch _uptime = Stopwatch.StartNew();
    private Task? _acceptLoop;
    private int _stopped;

    private RapidMockServer(MockServerOptions options, HttpListener listener, int port, string host)
    {
        Options = options;
        _listener = listener;
        Port = port;
        Id = Interlocked.Increment(ref _nextId);
        StartTime = DateTimeOffset.Now;
        _secret = new byte[32];
        using (var rng = RandomNumberGenerator.Create())
        {
            rng.GetBytes(_secret);
        }

        _backend = new MockBackend(options, _counters, _stopping.Token);
        var authority = host + ":" + port.ToString(CultureInfo.InvariantCulture);
        BaseUrl = "http://" + authority;
        Url = options.Profile.Transport == ProfileTransport.SignalR ? BaseUrl + HubPath : "ws://" + authority + "/ws";
        HealthUrl = BaseUrl + "/health";
        AuthUrl = BaseUrl + "/auth/test-user";
    }

    /// <summary>Server number within this process, in start order.</summary>
    public int Id { get; }

    /// <summary>Where a SignalR profile's hub is served (negotiate at /hub/negotiate).</summary>
    public const string HubPath = "/hub";

    /// <summary>The WebSocket endpoint, e.g. ws://127.0.0.1:50123/ws; with a SignalR profile, the hub's URL (http://127.0.0.1:50123/hub).</summary>
    public string Url { get; }

    /// <summary>http://host:port, the backend URL (E2E_BACKEND_URL and E2E_AUTH_SERVICE_URL).</summary>
    public string BaseUrl { get; }

    public string HealthUrl { get; }

    public string AuthUrl { get; }

    public int Port { get; }

    public MockServerOptions Options { get; }

    public DateTimeOffset StartTime { get; }

    public bool IsRunning => Volatile.Read(ref _stopped) == 0;

    /// <summary>Live counters: each read is a fresh snapshot.</summary>
    public MockServerStats Stats => _counters.Snapshot(Math.Round(_uptime.Elapsed.TotalSeconds, 3), _tasks.Count);

    /// <summary>The HMAC key tokens are signed with, for tests that forge or check tokens.</summary>
    public byte[] GetSigningKey() => (byte[])_secret.Clone();

    /// <summary>Issues a token for <paramref name="userId"/> signed with this server's key.</summary>
    public string IssueToken(string userId, string? email = null, TimeSpan? lifetime = null) =>
        Jwt.CreateHs256(_secret, new TokenClaims(userId, email, DateTimeOffset.UtcNow + (lifetime ?? TimeSpan.FromSeconds(Options.TokenLifetime))));

    /// <summary>Starts a server. Port 0 takes a free port (retrying if another process takes it first).</summary>
    public static RapidMockServer Start(MockServerOptions options)
    {
        if (options is null)
        {
            throw new ArgumentNullException(nameof(options));
        }

        options = options.Clone();
        options.Validate();
        if (!HttpListener.IsSupported)
        {
            throw new PlatformNotSupportedException("HttpListener is not supported on this platform.");
        }

        var host = UrlHost(options.ListenAddress);
        var attempts = options.Port == 0 ? 10 : 1;
        var localhostOnly = false;
        for (var attempt = 1; ; attempt++)
        {
            var port = options.Port == 0 ? FreePort(options.ListenAddress) : options.Port;
            var listener = new HttpListener { IgnoreWriteExceptions = true };
            foreach (var prefix in localhostOnly ? LocalhostPrefixes(port) : Prefixes(options.ListenAddress, port, Environment.OSVersion.Platform == PlatformID.Win32NT))
            {
                listener.Prefixes.Add(prefix);
            }

            try
            {
                if (SimulateHttpSysAccessDenied && !localhostOnly)
                {
                    throw new HttpListenerException(AccessDenied, "Access is denied (simulated: http.sys refuses a non-administrator any prefix but localhost).");
                }

                listener.Start();
            }
            catch (HttpListenerException ex) when (FallsBackToLocalhost(ex.ErrorCode, localhostOnly, host))
            {
                // http.sys (Windows) lets a user who is not an administrator register localhost only:
                // serve there, and name the server by it so clients send a Host header it accepts.
                listener.Close();
                localhostOnly = true;
                host = "localhost";
                attempt--;
                continue;
            }
            catch (HttpListenerException ex) when (attempt < attempts)
            {
                _ = ex;
                listener.Close();
                continue;
            }
            catch (HttpListenerException ex)
            {
                listener.Close();
                throw new InvalidOperationException($"Cannot listen on {host}:{port}: {ex.Message}. Choose another -Port, or 0 for any free port.", ex);
            }

            var server = new RapidMockServer(options, listener, port, host);
            server._acceptLoop = Task.Run(server.AcceptLoopAsync);
            return server;
        }
    }

    /// <summary>Closes every connection, frees the port and waits (up to <paramref name="timeout"/>) for every task to end.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        // Tell clients the server is going away (1001), in parallel and briefly, before anything is cancelled:
        // cancelling a WebSocket's pending receive would abort it without a close frame.
        await Task.WhenAll(_connections.Values.Select(c => c.GoAwayAsync(TimeSpan.FromMilliseconds(250)))).ConfigureAwait(false);
        _stopping.Cancel();
        try
        {
            _listener.Stop();
            _listener.Close();
        }
        catch (Exception)
        {
        }

        foreach (var c in _connections.Values)
        {
            // Any connection accepted while the others were told to go away.
            c.Abort();
        }

        var all = new System.Collections.Generic.List<Task>(_tasks.Keys);
        if (_acceptLoop is not null)
        {
            all.Add(_acceptLoop);
        }

        var done = Task.WhenAll(all);
        await Task.WhenAny(done, Task.Delay(timeout)).ConfigureAwait(false);
    }

    public void Stop() => StopAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();

    public void Dispose()
    {
        Stop();
        _stopping.Dispose();
    }

    public override string ToString() => Url;

    private static string UrlHost(string address) =>
        IPAddress.TryParse(address, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 ? "[" + ip + "]" : address;

    /// <summary>http.sys' ERROR_ACCESS_DENIED: the prefix needs a URL reservation (netsh http add urlacl) or an administrator.</summary>
    internal const int AccessDenied = 5;

    /// <summary>Tests only (<see cref="RapidTestHooks"/>): Start refuses every prefix set but localhost's, as http.sys does for a non-administrator.</summary>
    internal static bool SimulateHttpSysAccessDenied { get; set; }

    /// <summary>Whether a failed start falls back to serving on localhost alone: access denied, on 127.0.0.1, not already on localhost alone.</summary>
    internal static bool FallsBackToLocalhost(int errorCode, bool localhostOnly, string host) =>
        errorCode == AccessDenied && !localhostOnly && host == "127.0.0.1";

    internal static string[] LocalhostPrefixes(int port) => ["http://localhost:" + port.ToString(CultureInfo.InvariantCulture) + "/"];

    internal static string[] Prefixes(string address, int port, bool windows)
    {
        var p = port.ToString(CultureInfo.InvariantCulture);
        if (address is "0.0.0.0" or "*" or "+" or "::")
        {
            return ["http://*:" + p + "/"];
        }

        if (address == "127.0.0.1" && !windows)
        {
            // Clients may say localhost or 127.0.0.1 in the Host header; both must reach the server.
            return ["http://127.0.0.1:" + p + "/", "http://localhost:" + p + "/"];
        }

        if (address == "127.0.0.1")
        {
            // http.sys lets a non-admin register localhost only; it also answers Host: 127.0.0.1 on it.
            return ["http://localhost:" + p + "/", "http://127.0.0.1:" + p + "/"];
        }

        return ["http://" + UrlHost(address) + ":" + p + "/"];
    }

    private static int FreePort(string address)
    {
        var ip = IPAddress.TryParse(address, out var parsed) ? parsed : IPAddress.Loopback;
        if (address is "*" or "+")
        {
            ip = IPAddress.Any;
        }

        var probe = new TcpListener(ip, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException)
            {
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            Track(Task.Run(() => HandleAsync(context)));
        }
    }

    private void Track(Task task)
    {
        _tasks.TryAdd(task, 0);
        _ = task.ContinueWith(t => _tasks.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        try
        {
            var path = context.Request.Url?.AbsolutePath ?? "/";
            switch (path.TrimEnd('/'))
            {
                case "/ws":
                case HubPath:
                    await HandleWebSocketAsync(context).ConfigureAwait(false);
                    return;
                case HubPath + "/negotiate":
                    if (RequireMethod(context, "POST"))
                    {
                        Negotiate(context);
                    }

                    return;
                case "/health":
                    if (!RequireMethod(context, "GET", "HEAD"))
                    {
                        return;
                    }

                    WriteJson(context, 200, w =>
                    {
                        w.WriteString("status", "ok");
                        w.WriteNumber("uptime_s", Math.Round(_uptime.Elapsed.TotalSeconds, 3));
                        w.WriteNumber("connections", Volatile.Read(ref _counters.ConnectionsOpen));
                    });
                    return;
                case "/auth/test-user":
                    if (!RequireMethod(context, "POST"))
                    {
                        return;
                    }

                    await HandleTestUserAsync(context).ConfigureAwait(false);
                    return;
                default:
                    WriteJson(context, 404, w => w.WriteString("error", "Not found: the mock serves /ws (or /hub with a SignalR profile), /health and POST /auth/test-user."));
                    return;
            }
        }
        catch (Exception)
        {
            try
            {
                context.Response.Abort();
            }
            catch (Exception)
            {
            }
        }
    }

    private static bool RequireMethod(HttpListenerContext context, params string[] methods)
    {
        if (Array.IndexOf(methods, context.Request.HttpMethod) >= 0)
        {
            return true;
        }

        context.Response.AddHeader("Allow", string.Join(", ", methods));
        WriteJson(context, 405, w => w.WriteString("error", "Method not allowed; use " + string.Join(" or ", methods) + "."));
        return false;
    }

    /// <summary>SignalR's negotiate (version 1): a connection token and the one transport the mock offers, WebSockets.</summary>
    private void Negotiate(HttpListenerContext context)
    {
        if (ResolveUser(context.Request, out var refusal) is null)
        {
            Interlocked.Increment(ref _counters.AuthRejected);
            context.Response.AddHeader("WWW-Authenticate", "Bearer");
            WriteJson(context, 401, w => w.WriteString("error", refusal));
            return;
        }

        var id = Guid.NewGuid().ToString("N");
        WriteJson(context, 200, w =>
        {
            w.WriteString("connectionId", id.Substring(0, 16));
            w.WriteString("connectionToken", id);
            w.WriteNumber("negotiateVersion", 1);
            w.WriteStartArray("availableTransports");
            w.WriteStartObject();
            w.WriteString("transport", "WebSockets");
            w.WriteStartArray("transferFormats");
            w.WriteStringValue("Text");
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
        });
    }

    private async Task HandleTestUserAsync(HttpListenerContext context)
    {
        string? email = null;
        if (context.Request.HasEntityBody)
        {
            var body = new byte[Math.Min(64 * 1024, Math.Max(0, context.Request.ContentLength64 < 0 ? 64 * 1024 : context.Request.ContentLength64))];
            var read = 0;
            int n;
            while (read < body.Length && (n = await context.Request.InputStream.ReadAsync(body, read, body.Length - read).ConfigureAwait(false)) > 0)
            {
                read += n;
            }

            if (read > 0)
            {
                try
                {
                    using var doc = JsonDocument.Parse(body.AsMemory(0, read));
                    if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("email", out var e) && e.ValueKind == JsonValueKind.String)
                    {
                        email = e.GetString();
                    }
                }
                catch (JsonException)
                {
                    WriteJson(context, 400, w => w.WriteString("error", "The body must be JSON such as {\"email\": \"me@example.com\"}, or empty."));
                    return;
                }
            }
        }

        var userId = "test-user-" + Guid.NewGuid().ToString("N").Substring(0, 12);
        email ??= userId + "@example.com";
        var expires = DateTimeOffset.UtcNow.AddSeconds(Options.TokenLifetime);
        var token = Jwt.CreateHs256(_secret, new TokenClaims(userId, email, expires));
        WriteJson(context, 200, w =>
        {
            w.WriteString("user_id", userId);
            w.WriteString("token", token);
            w.WriteString("email", email);
            w.WriteString("expires_at", expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        });
    }

    private async Task HandleWebSocketAsync(HttpListenerContext context)
    {
        if (!context.Request.IsWebSocketRequest)
        {
            WriteJson(context, 426, w => w.WriteString("error", "/ws is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket)."));
            return;
        }

        var userId = ResolveUser(context.Request, out var refusal);
        if (userId is null)
        {
            Interlocked.Increment(ref _counters.AuthRejected);
            context.Response.AddHeader("WWW-Authenticate", "Bearer");
            WriteJson(context, 401, w => w.WriteString("error", refusal));
            return;
        }

        if (!IsRunning)
        {
            context.Response.Abort();
            return;
        }

        SocketTuning.DisableNagle(context);
        // Only the socket is kept: the WebSocket context holds a copy of the request's headers and cookies (about 1 KB a connection).
        var socket = (await context.AcceptWebSocketAsync(null, 16 * 1024, TimeSpan.FromSeconds(30)).ConfigureAwait(false)).WebSocket;
        SocketTuning.ReleaseRequestBuffer(context);
        var user = _backend.GetUser(userId);
        var connection = new MockConnection(context, socket, _backend, user, Options, _counters, _stopping.Token);
        _connections[connection.Id] = connection;
        user.AddConnection(connection);
        Interlocked.Increment(ref _counters.ConnectionsOpen);
        Interlocked.Increment(ref _counters.ConnectionsTotal);
        try
        {
            await connection.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            user.RemoveConnection(connection);
            _connections.TryRemove(connection.Id, out _);
            Interlocked.Decrement(ref _counters.ConnectionsOpen);
            socket.Dispose();
        }
    }

    /// <summary>The user a connection acts for: the token's subject, else ?user_id=, else anonymous. Null (with a reason) when refused.</summary>
    private string? ResolveUser(HttpListenerRequest request, out string refusal)
    {
        refusal = string.Empty;
        string? token = null;
        var header = request.Headers["Authorization"];
        if (header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            token = header.Substring(7).Trim();
        }

        token ??= request.QueryString["token"] ?? request.QueryString["access_token"];
        if (string.IsNullOrEmpty(token))
        {
            if (Options.RequireAuth)
            {
                refusal = "A token is required: send 'Authorization: Bearer <token>' or ?token=, from POST /auth/test-user.";
                return null;
            }

            var queryUser = request.QueryString["user_id"];
            return string.IsNullOrEmpty(queryUser) ? "anonymous" : queryUser;
        }

        if (Options.RequireAuth)
        {
            var check = Jwt.Validate(token!, _secret, out var claims);
            if (check != TokenCheck.Valid)
            {
                refusal = check switch
                {
                    TokenCheck.Expired => "The token has expired: fetch a new one from POST /auth/test-user.",
                    TokenCheck.BadSignature => "The token's signature does not match this server's key: fetch a token from this server's /auth/test-user.",
                    TokenCheck.WrongAlgorithm => "The token must be signed with HS256.",
                    _ => "The token is not a valid JWT: fetch one from POST /auth/test-user.",
                };
                return null;
            }

            return claims!.Subject;
        }

        // Auth not required: a readable token still names the user; an unreadable one falls back to ?user_id=.
        if (Jwt.TryReadUnverified(token!, out var unverified) == TokenCheck.Valid)
        {
            return unverified!.Subject;
        }

        var fallback = request.QueryString["user_id"];
        return string.IsNullOrEmpty(fallback) ? "anonymous" : fallback;
    }

    private static void WriteJson(HttpListenerContext context, int status, Action<Utf8JsonWriter> body)
    {
        using var buffer = new PooledBufferWriter();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength64 = buffer.WrittenCount;
        if (context.Request.HttpMethod != "HEAD")
        {
            response.OutputStream.Write(buffer.WrittenSegment.Array!, 0, buffer.WrittenCount);
        }

        response.Close();
    }
}
