// Microsoft's SignalR client (Microsoft.AspNetCore.SignalR.Client) against a chat hub speaking
// module/Examples/signalr-chat.json: sends messages, repeats one, asks for agent and queue state,
// pings, optionally cancels a stream and idles, and prints ONE JSON summary line on stdout.
// Exit code 0 when everything expected arrived; 1 when something did not (see "problems");
// 2 on bad arguments.
//
//   dotnet SignalRClient.dll --url http://127.0.0.1:N/hub/chat [--user ID] [--messages N]
//       [--agent ID] [--prefix P] [--timeout S] [--expect-chunks N] [--cancel] [--observer]
//       [--other-user] [--idle S] [--server-timeout S] [--keep-alive S] [--token JWT]
//       [--skip-negotiation] [--any-transport]
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using SignalRClient;

ClientOptions o;
try
{
    o = ClientOptions.Parse(args);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync("SignalRClient: " + e.Message + Environment.NewLine + ClientOptions.Usage);
    return 2;
}

var seen = new Observations();
var problems = new List<string>();
var summary = new Dictionary<string, object?>
{
    ["url"] = o.Url,
    ["user"] = o.User,
    ["messages"] = o.Messages,
};
HubConnection? main = null, observer = null, other = null;
var clock = Stopwatch.StartNew();
try
{
    main = Connect(o.User, o, seen, "main");
    await main.StartAsync();
    if (o.Observer)
    {
        observer = Connect(o.User, o, seen, "observer");
        await observer.StartAsync();
    }
    if (o.OtherUser)
    {
        other = Connect(o.User + "-other", o, seen, "other");
        await other.StartAsync();
    }
    summary["connected"] = true;
    summary["transport"] = o.AnyTransport ? "any" : "WebSockets";

    // 1. N messages to one agent, all at once; every one gets its reply (or a queue_full error), in order.
    for (var i = 1; i <= o.Messages; i++)
    {
        await main.SendAsync("SendMessage", new { messageId = o.Prefix + "-m" + i, sequenceId = (long)i, content = "message " + i, agentId = o.Agent });
    }
    await WaitUntil(() => seen.Answered >= o.Messages, o.TimeoutSeconds);

    // 2. The first message again: the hub replays its reply marked duplicate and does not count it.
    var before = seen.RepliesFor(o.Prefix + "-m1");
    await main.SendAsync("SendMessage", new { messageId = o.Prefix + "-m1", sequenceId = 1L, content = "message 1", agentId = o.Agent });
    await WaitUntil(() => seen.RepliesFor(o.Prefix + "-m1") > before, Math.Min(o.TimeoutSeconds, 5));
    var repeatAnswer = seen.LastReplyFor(o.Prefix + "-m1");
    summary["repeatAnswered"] = seen.RepliesFor(o.Prefix + "-m1") > before;
    summary["repeatMarkedDuplicate"] = seen.RepliesFor(o.Prefix + "-m1") > before && repeatAnswer is { } ra && ra.TryGetProperty("duplicate", out var d) && d.ValueKind == JsonValueKind.True;

    // 3. Cancel: a stream stopped after its first chunk ends with cancelled:true; a second cancel is unknown_message.
    // Every accepted message is processed once (and tells the user's other connections), answered or not.
    var processed = o.Messages - seen.ErrorCount("queue_full");
    if (o.Cancel)
    {
        var id = o.Prefix + "-cancel";
        if (o.ExpectChunks > 0)
        {
            await main.SendAsync("SendMessage", new { messageId = id, sequenceId = 1L, content = "cancel me", agentId = o.Agent + "-cancel" });
            await WaitUntil(() => seen.ChunksFor(id) > 0, o.TimeoutSeconds);
            await main.SendAsync("CancelMessage", id);
            await WaitUntil(() => seen.RepliesFor(id) > 0, o.TimeoutSeconds);
            var final = seen.LastReplyFor(id);
            var cancelled = final is { } f && f.TryGetProperty("cancelled", out var c) && c.ValueKind == JsonValueKind.True;
            summary["cancelFinalCancelled"] = cancelled;
            if (!cancelled) { problems.Add("the cancelled stream's final reply is not marked cancelled"); }
            processed++;
        }
        else
        {
            id = o.Prefix + "-never-sent";
        }
        await main.SendAsync("CancelMessage", id);
        await WaitUntil(() => seen.ErrorsWith("unknown_message", id) > 0, o.TimeoutSeconds);
        var unknown = seen.ErrorsWith("unknown_message", id) > 0;
        summary["cancelUnknownAnswered"] = unknown;
        if (!unknown) { problems.Add("cancelling a finished or unknown message got no unknown_message error"); }
    }

    // 4. State, queue and ping: invocations answered with a completion.
    var state = await main.InvokeAsync<JsonElement>("GetAgentState", o.Agent);
    summary["agentState"] = state;
    summary["agentStateMessageCount"] = state.TryGetProperty("messageCount", out var mc) ? mc.GetInt32() : null;
    var queue = await main.InvokeAsync<JsonElement>("GetQueueState", o.Agent);
    summary["queueState"] = queue;
    var pong = await main.InvokeAsync<JsonElement>("Ping");
    summary["ping"] = pong.ValueKind == JsonValueKind.String ? pong.GetString() : pong.ToString();

    if (o.Observer) { await WaitUntil(() => seen.StateUpdates("observer") >= processed, 5); }

    // 5. Idle: the hub's pings keep the connection alive past the client's ServerTimeout.
    if (o.IdleSeconds > 0)
    {
        await Task.Delay(TimeSpan.FromSeconds(o.IdleSeconds));
        var alive = main.State == HubConnectionState.Connected && seen.Closed("main") is null;
        if (alive)
        {
            alive = (await main.InvokeAsync<JsonElement>("Ping")).ValueKind != JsonValueKind.Undefined;
        }
        summary["idleSeconds"] = o.IdleSeconds;
        summary["stayedConnected"] = alive;
        if (!alive) { problems.Add($"the connection did not survive {o.IdleSeconds} s idle: {seen.Closed("main") ?? main.State.ToString()}"); }
    }

    // What the counts say.
    summary["replies"] = seen.Replies;
    summary["replyFrames"] = seen.ReplyFrames;
    summary["duplicatesSeen"] = seen.Duplicates;
    summary["unmarkedRepeats"] = seen.UnmarkedRepeats;
    summary["outOfOrder"] = seen.OutOfOrder;
    summary["chunks"] = seen.Chunks;
    summary["chunkProblems"] = seen.ChunkProblems(o.ExpectChunks);
    summary["queueFull"] = seen.ErrorCount("queue_full");
    summary["errors"] = seen.ErrorCodes();
    summary["stateUpdates"] = seen.StateUpdates("observer");
    summary["stateUpdatesToSender"] = seen.StateUpdates("main");
    summary["otherUserFrames"] = seen.FramesOf("other");

    if (seen.Replies + seen.ErrorCount("queue_full") < o.Messages) { problems.Add($"{o.Messages - seen.Replies - seen.ErrorCount("queue_full")} of {o.Messages} messages got no reply and no queue_full"); }
    if (seen.ErrorCount("queue_full") > 0) { problems.Add($"{seen.ErrorCount("queue_full")} messages were rejected with queue_full"); }
    if (!(bool)summary["repeatMarkedDuplicate"]!) { problems.Add("the repeated messageId was not answered with a reply marked duplicate"); }
    if (seen.UnmarkedRepeats > 0) { problems.Add($"{seen.UnmarkedRepeats} replies repeated a messageId without duplicate:true"); }
    if (seen.OutOfOrder > 0) { problems.Add($"{seen.OutOfOrder} replies came out of sequence order"); }
    var accepted = o.Messages - seen.ErrorCount("queue_full");
    if (summary["agentStateMessageCount"] is int count && count != accepted) { problems.Add($"GetAgentState says messageCount {count}, but {accepted} messages were accepted"); }
    if (summary["agentStateMessageCount"] is null) { problems.Add("GetAgentState's result has no messageCount"); }
    if (!queue.TryGetProperty("maxCapacity", out _) || !queue.TryGetProperty("queueSize", out _)) { problems.Add("GetQueueState's result lacks queueSize or maxCapacity"); }
    if (o.ExpectChunks > 0 && seen.ChunkProblems(o.ExpectChunks) is { Count: > 0 } cp) { problems.AddRange(cp); }
    if (o.Observer && seen.StateUpdates("observer") != processed) { problems.Add($"the user's other connection got {seen.StateUpdates("observer")} StateUpdated, not {processed}"); }
    if (seen.StateUpdates("main") > 0) { problems.Add("the sending connection got StateUpdated (only the user's other connections should)"); }
    if (seen.FramesOf("other") > 0) { problems.Add($"another user's connection received {seen.FramesOf("other")} frames of this user's"); }
    var unexpected = seen.ErrorCodes().Where(c => c is not "queue_full" and not "unknown_message").ToList();
    if (unexpected.Count > 0) { problems.Add("errors: " + string.Join(", ", unexpected)); }
}
catch (Exception e)
{
    summary["connected"] ??= false;
    problems.Add(e.GetType().Name + ": " + e.Message);
}
finally
{
    foreach (var c in new[] { other, observer, main })
    {
        if (c is not null) { await c.DisposeAsync(); }
    }
}
summary["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 3);
summary["problems"] = problems;
summary["ok"] = problems.Count == 0;
Console.Out.WriteLine(JsonSerializer.Serialize(summary));
return problems.Count == 0 ? 0 : 1;

static HubConnection Connect(string user, ClientOptions o, Observations seen, string name)
{
    var url = o.Url + (o.Url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "user_id=" + Uri.EscapeDataString(user);
    var connection = new HubConnectionBuilder()
        .WithUrl(url, options =>
        {
            if (!o.AnyTransport) { options.Transports = HttpTransportType.WebSockets; }
            options.SkipNegotiation = o.SkipNegotiation;
            if (o.Token is { } token) { options.AccessTokenProvider = () => Task.FromResult<string?>(token); }
        })
        .Build();
    connection.ServerTimeout = TimeSpan.FromSeconds(o.ServerTimeoutSeconds);
    connection.KeepAliveInterval = TimeSpan.FromSeconds(o.KeepAliveSeconds);
    connection.On<JsonElement>("ReceiveReply", e => seen.Reply(name, e));
    connection.On<JsonElement>("ReceiveChunk", e => seen.Chunk(name, e));
    connection.On<JsonElement>("StateUpdated", e => seen.StateUpdate(name, e));
    connection.On<JsonElement>("ReceiveError", e => seen.Error(name, e));
    connection.Closed += e =>
    {
        seen.Close(name, e?.Message ?? "closed");
        return Task.CompletedTask;
    };
    return connection;
}

static async Task WaitUntil(Func<bool> condition, double seconds)
{
    var clock = Stopwatch.StartNew();
    while (!condition() && clock.Elapsed.TotalSeconds < seconds)
    {
        await Task.Delay(20);
    }
}

namespace SignalRClient
{
    /// <summary>Everything the handlers saw, by connection name (main, observer, other).</summary>
    internal sealed class Observations
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<string, List<JsonElement>> _replies = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<JsonElement>> _chunks = new(StringComparer.Ordinal);
        private readonly List<JsonElement> _errors = [];
        private readonly Dictionary<string, int> _updates = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _frames = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _closed = new(StringComparer.Ordinal);
        private long _maxSequence;

        public int ReplyFrames { get; private set; }
        public int Replies { get; private set; }
        public int Duplicates { get; private set; }
        public int UnmarkedRepeats { get; private set; }
        public int OutOfOrder { get; private set; }
        public int Chunks { get; private set; }

        /// <summary>Messages answered: with a first reply, or with queue_full.</summary>
        public int Answered
        {
            get { lock (_lock) { return Replies + _errors.Count(e => Code(e) == "queue_full"); } }
        }

        public void Reply(string connection, JsonElement e)
        {
            lock (_lock)
            {
                Count(connection);
                if (connection != "main") { return; }
                ReplyFrames++;
                var id = Text(e, "messageId") ?? "";
                if (!_replies.TryGetValue(id, out var list)) { _replies[id] = list = []; }
                var duplicate = e.TryGetProperty("duplicate", out var d) && d.ValueKind == JsonValueKind.True;
                if (duplicate)
                {
                    Duplicates++;
                }
                else if (list.Any(r => !(r.TryGetProperty("duplicate", out var x) && x.ValueKind == JsonValueKind.True)))
                {
                    UnmarkedRepeats++;
                }
                else if (!id.EndsWith("-cancel", StringComparison.Ordinal))
                {
                    Replies++;
                    var seq = e.TryGetProperty("sequenceId", out var s) && s.TryGetInt64(out var v) ? v : 0;
                    if (seq < _maxSequence) { OutOfOrder++; }
                    _maxSequence = Math.Max(_maxSequence, seq);
                }
                list.Add(e.Clone());
            }
        }

        public void Chunk(string connection, JsonElement e)
        {
            lock (_lock)
            {
                Count(connection);
                if (connection != "main") { return; }
                Chunks++;
                var id = Text(e, "messageId") ?? "";
                if (!_chunks.TryGetValue(id, out var list)) { _chunks[id] = list = []; }
                list.Add(e.Clone());
            }
        }

        public void StateUpdate(string connection, JsonElement e)
        {
            _ = e;
            lock (_lock)
            {
                Count(connection);
                _updates[connection] = _updates.GetValueOrDefault(connection) + 1;
            }
        }

        public void Error(string connection, JsonElement e)
        {
            lock (_lock)
            {
                Count(connection);
                if (connection == "main") { _errors.Add(e.Clone()); }
            }
        }

        public void Close(string connection, string why)
        {
            lock (_lock) { _closed[connection] = why; }
        }

        public string? Closed(string connection)
        {
            lock (_lock) { return _closed.GetValueOrDefault(connection); }
        }

        public int RepliesFor(string id)
        {
            lock (_lock) { return _replies.TryGetValue(id, out var l) ? l.Count : 0; }
        }

        public JsonElement? LastReplyFor(string id)
        {
            lock (_lock) { return _replies.TryGetValue(id, out var l) && l.Count > 0 ? l[^1] : null; }
        }

        public int ChunksFor(string id)
        {
            lock (_lock) { return _chunks.TryGetValue(id, out var l) ? l.Count : 0; }
        }

        public int ErrorCount(string code)
        {
            lock (_lock) { return _errors.Count(e => Code(e) == code); }
        }

        public int ErrorsWith(string code, string messageId)
        {
            lock (_lock) { return _errors.Count(e => Code(e) == code && Text(e, "messageId") == messageId); }
        }

        public List<string> ErrorCodes()
        {
            lock (_lock) { return [.. _errors.Select(e => Code(e) ?? "?")]; }
        }

        public int StateUpdates(string connection)
        {
            lock (_lock) { return _updates.GetValueOrDefault(connection); }
        }

        public int FramesOf(string connection)
        {
            lock (_lock) { return _frames.GetValueOrDefault(connection); }
        }

        /// <summary>Per streamed message: N chunks indexed 0..N-1 without gaps, a final whose chunkCount is N and whose content joins them.</summary>
        public List<string> ChunkProblems(int expected)
        {
            var problems = new List<string>();
            if (expected <= 0) { return problems; }
            lock (_lock)
            {
                foreach (var (id, replies) in _replies)
                {
                    if (id.EndsWith("-cancel", StringComparison.Ordinal)) { continue; }
                    var final = replies.FirstOrDefault(r => !(r.TryGetProperty("duplicate", out var x) && x.ValueKind == JsonValueKind.True));
                    if (final.ValueKind != JsonValueKind.Object) { continue; }
                    var chunks = _chunks.GetValueOrDefault(id) ?? [];
                    var indexes = chunks.Select(c => c.GetProperty("chunkIndex").GetInt32()).ToList();
                    if (!indexes.SequenceEqual(Enumerable.Range(0, expected)))
                    {
                        problems.Add($"{id}: chunk indexes [{string.Join(",", indexes)}], expected 0..{expected - 1}");
                    }
                    var chunkCount = final.TryGetProperty("chunkCount", out var cc) && cc.TryGetInt32(out var n) ? n : -1;
                    if (chunkCount != expected) { problems.Add($"{id}: final chunkCount {chunkCount}, expected {expected}"); }
                    var joined = string.Concat(chunks.Select(c => Text(c, "content")));
                    if (joined != Text(final, "content")) { problems.Add($"{id}: the final's content is not its chunks joined"); }
                }
            }
            return problems;
        }

        private void Count(string connection) => _frames[connection] = _frames.GetValueOrDefault(connection) + 1;

        private static string? Code(JsonElement e) => Text(e, "code");

        private static string? Text(JsonElement e, string name) =>
            e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }

    internal sealed class ClientOptions
    {
        public const string Usage =
            "usage: SignalRClient --url URL [--user ID] [--messages N] [--agent ID] [--prefix P] [--timeout S] " +
            "[--expect-chunks N] [--cancel] [--observer] [--other-user] [--idle S] [--server-timeout S] [--keep-alive S] " +
            "[--token JWT] [--skip-negotiation] [--any-transport]";

        public string Url { get; private set; } = "";
        public string User { get; private set; } = "signalr-client-" + Guid.NewGuid().ToString("N")[..8];
        public int Messages { get; private set; } = 10;
        public string Agent { get; private set; } = "agent-1";
        public string Prefix { get; private set; } = "c" + Guid.NewGuid().ToString("N")[..8];
        public double TimeoutSeconds { get; private set; } = 15;
        public int ExpectChunks { get; private set; }
        public bool Cancel { get; private set; }
        public bool Observer { get; private set; }
        public bool OtherUser { get; private set; }
        public double IdleSeconds { get; private set; }
        public double ServerTimeoutSeconds { get; private set; } = 30;
        public double KeepAliveSeconds { get; private set; } = 15;
        public string? Token { get; private set; }
        public bool SkipNegotiation { get; private set; }
        public bool AnyTransport { get; private set; }

        public static ClientOptions Parse(string[] args)
        {
            var o = new ClientOptions();
            for (var i = 0; i < args.Length; i++)
            {
                var name = args[i];
                string Value()
                {
                    if (i + 1 >= args.Length) { throw new ArgumentException(name + " needs a value."); }
                    return args[++i];
                }
                switch (name)
                {
                    case "--url": o.Url = Value(); break;
                    case "--user": o.User = Value(); break;
                    case "--messages": o.Messages = (int)Number(name, Value(), 1); break;
                    case "--agent": o.Agent = Value(); break;
                    case "--prefix": o.Prefix = Value(); break;
                    case "--timeout": o.TimeoutSeconds = Number(name, Value(), 0.1); break;
                    case "--expect-chunks": o.ExpectChunks = (int)Number(name, Value(), 0); break;
                    case "--cancel": o.Cancel = true; break;
                    case "--observer": o.Observer = true; break;
                    case "--other-user": o.OtherUser = true; break;
                    case "--idle": o.IdleSeconds = Number(name, Value(), 0); break;
                    case "--server-timeout": o.ServerTimeoutSeconds = Number(name, Value(), 0.1); break;
                    case "--keep-alive": o.KeepAliveSeconds = Number(name, Value(), 0.1); break;
                    case "--token": o.Token = Value(); break;
                    case "--skip-negotiation": o.SkipNegotiation = true; break;
                    case "--any-transport": o.AnyTransport = true; break;
                    default: throw new ArgumentException($"unknown option '{name}'.");
                }
            }
            if (string.IsNullOrEmpty(o.Url)) { throw new ArgumentException("--url is required."); }
            if (o.SkipNegotiation && o.AnyTransport) { throw new ArgumentException("--skip-negotiation needs the WebSockets transport."); }
            return o;
        }

        private static double Number(string name, string text, double min)
        {
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < min)
            {
                throw new ArgumentException($"{name} takes a number >= {min.ToString(CultureInfo.InvariantCulture)}, not '{text}'.");
            }
            return value;
        }
    }
}
