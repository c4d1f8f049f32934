using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;

// The reference client of bench/Bench.ps1: the least a load generator must do per message, with the
// BCL stack the module uses (ClientWebSocket): write a user_message as JSON, send it, read every frame,
// find its message_id and match it to an outstanding message. No ledger window, histogram or timeline.
//   dotnet ReferenceClient.dll <ws-url> <messages> <connections> <in-flight per connection>
// Prints one JSON line: messages, seconds, msg/s, CPU seconds and CPU µs per message of this process.
var url = new Uri(args[0]);
var total = int.Parse(args[1]);
var conns = int.Parse(args[2]);
var window = int.Parse(args[3]);

// A user per connection and ids fresh for every run, as the module's Benchmark has (the mock's idempotency
// window would otherwise answer a second run's ids as replays).
var run = Guid.NewGuid().ToString("N").Substring(0, 8);
var sockets = new ClientWebSocket[conns];
for (var c = 0; c < conns; c++)
{
    sockets[c] = new ClientWebSocket();
    sockets[c].Options.KeepAliveInterval = TimeSpan.Zero;
    await sockets[c].ConnectAsync(new UriBuilder(url) { Query = "user_id=ref" + run + "-" + c }.Uri, default);
}

var process = Process.GetCurrentProcess();
var cpu0 = process.TotalProcessorTime;
var clock = Stopwatch.StartNew();
var tasks = new Task<int>[conns];
for (var c = 0; c < conns; c++)
{
    var share = total / conns + (c < total % conns ? 1 : 0);
    tasks[c] = RunAsync(sockets[c], run + "-" + c, share, window);
}

var matched = (await Task.WhenAll(tasks)).Sum();
clock.Stop();
process.Refresh();
var cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
foreach (var s in sockets)
{
    try { await s.CloseAsync(WebSocketCloseStatus.NormalClosure, null, new CancellationTokenSource(1000).Token); } catch (Exception) { }
}

Console.WriteLine(JsonSerializer.Serialize(new
{
    Messages = total,
    Matched = matched,
    Seconds = Math.Round(clock.Elapsed.TotalSeconds, 3),
    MsgPerSec = Math.Round(total / clock.Elapsed.TotalSeconds, 1),
    CpuSeconds = Math.Round(cpu, 3),
    CpuUsPerMsg = Math.Round(cpu * 1e6 / Math.Max(1, total), 2),
}));
return matched == total ? 0 : 1;

// One connection: sends back-to-back with at most `window` unanswered; every reply is matched by message_id.
static async Task<int> RunAsync(ClientWebSocket socket, string connection, int count, int window)
{
    var outstanding = new Dictionary<string, long>(window * 2, StringComparer.Ordinal);
    var slots = new SemaphoreSlim(window, window);
    var matched = 0;
    var prefix = "ref" + connection + "-";
    var receive = Task.Run(async () =>
    {
        var buffer = new byte[16 * 1024];
        var assembled = new ArrayBufferWriter<byte>(1024);
        while (matched < count)
        {
            var r = await socket.ReceiveAsync(buffer.AsMemory(), default);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            ReadOnlySpan<byte> payload;
            if (r.EndOfMessage && assembled.WrittenCount == 0)
            {
                payload = buffer.AsSpan(0, r.Count);
            }
            else
            {
                assembled.Write(buffer.AsSpan(0, r.Count));
                if (!r.EndOfMessage)
                {
                    continue;
                }

                payload = assembled.WrittenSpan;
            }

            string id = null;
            var reader = new Utf8JsonReader(payload);
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("message_id"))
                {
                    reader.Read();
                    id = reader.GetString();
                    break;
                }
            }

            assembled.Clear();
            bool found;
            lock (outstanding)
            {
                found = id is not null && outstanding.Remove(id);
            }

            if (found)
            {
                matched++;
                slots.Release();
            }
        }
    });

    var send = new ArrayBufferWriter<byte>(512);
    using var writer = new Utf8JsonWriter(send, new JsonWriterOptions { SkipValidation = true });
    for (var i = 1; i <= count; i++)
    {
        await slots.WaitAsync();
        var id = prefix + i;
        lock (outstanding)
        {
            outstanding[id] = Stopwatch.GetTimestamp();
        }

        send.Clear();
        writer.Reset(send);
        writer.WriteStartObject();
        writer.WriteString("type", "user_message");
        writer.WriteString("message_id", id);
        writer.WriteNumber("sequence_id", i);
        writer.WriteString("content", "Rapid message " + i);
        writer.WriteString("agent_id", "ref" + connection);
        writer.WriteEndObject();
        writer.Flush();
        await socket.SendAsync(send.WrittenMemory, WebSocketMessageType.Text, true, default);
    }

    await receive;
    return matched;
}
