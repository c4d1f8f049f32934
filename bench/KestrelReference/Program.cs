using System.Buffers;
using System.Net.WebSockets;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

// The Kestrel reference server of bench/Bench.ps1: the least a WebSocket chat backend does per message on the
// built-in protocol (docs/PROTOCOL.md): for each user_message text frame, an ai_response with message_id,
// sequence_id, agent_id, content "AI response to: ...", timestamp, in order on the connection that sent it.
// No queues, idempotency, state or faults: a fair "minimal server" baseline for the mock's cost per message.
//   dotnet KestrelReference.dll
// Listens on 127.0.0.1 (a free port), prints "URL ws://127.0.0.1:<port>/ws" once listening, exits when stdin closes.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders(); // stdout carries the URL line only
builder.WebHost.UseUrls("http://127.0.0.1:0");
var app = builder.Build();
app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
app.Map("/ws", async context =>
{
    if (!context.WebSockets.IsWebSocketRequest)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return;
    }

    using var socket = await context.WebSockets.AcceptWebSocketAsync();
    await ServeAsync(socket, context.RequestAborted);
});

await app.StartAsync();
var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>().Addresses.First();
Console.Out.WriteLine("URL " + address.Replace("http://", "ws://", StringComparison.Ordinal) + "/ws");
Console.Out.Flush();
// End of input (the bench closing our stdin, or exiting) stops the server, so it never outlives the benchmark.
while (await Console.In.ReadLineAsync() is not null)
{
}

await app.StopAsync(TimeSpan.FromSeconds(2));
return 0;

static async Task ServeAsync(WebSocket socket, CancellationToken aborted)
{
    var receive = new byte[16 * 1024];
    var assembled = new ArrayBufferWriter<byte>(1024);
    var reply = new ArrayBufferWriter<byte>(1024);
    using var writer = new Utf8JsonWriter(reply, new JsonWriterOptions { SkipValidation = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    try
    {
        while (true)
        {
            var r = await socket.ReceiveAsync(receive.AsMemory(), aborted);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, aborted);
                return;
            }

            ReadOnlyMemory<byte> payload;
            if (r.EndOfMessage && assembled.WrittenCount == 0)
            {
                payload = receive.AsMemory(0, r.Count);
            }
            else
            {
                assembled.Write(receive.AsSpan(0, r.Count));
                if (!r.EndOfMessage)
                {
                    continue;
                }

                payload = assembled.WrittenMemory;
            }

            var written = r.MessageType == WebSocketMessageType.Text && Answer(payload.Span, reply, writer);
            assembled.Clear();
            if (written)
            {
                await socket.SendAsync(reply.WrittenMemory, WebSocketMessageType.Text, true, aborted);
            }
        }
    }
    catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
    {
        // The peer went away.
    }
}

// Reads a user_message and writes its ai_response into `reply`; false for anything else (no answer).
static bool Answer(ReadOnlySpan<byte> frame, ArrayBufferWriter<byte> reply, Utf8JsonWriter writer)
{
    string type = null, messageId = null, agentId = null, content = null;
    long sequenceId = 0;
    var reader = new Utf8JsonReader(frame);
    try
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8)) { reader.Read(); type = reader.GetString(); }
            else if (reader.ValueTextEquals("message_id"u8)) { reader.Read(); messageId = reader.GetString(); }
            else if (reader.ValueTextEquals("sequence_id"u8)) { reader.Read(); sequenceId = reader.GetInt64(); }
            else if (reader.ValueTextEquals("agent_id"u8)) { reader.Read(); agentId = reader.GetString(); }
            else if (reader.ValueTextEquals("content"u8)) { reader.Read(); content = reader.GetString(); }
            else { reader.Read(); reader.Skip(); }
        }
    }
    catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
    {
        return false;
    }

    if (type != "user_message" || messageId is null)
    {
        return false;
    }

    reply.Clear();
    writer.Reset(reply);
    writer.WriteStartObject();
    writer.WriteString("type"u8, "ai_response"u8);
    writer.WriteString("message_id"u8, messageId);
    writer.WriteNumber("sequence_id"u8, sequenceId);
    writer.WriteString("agent_id"u8, string.IsNullOrEmpty(agentId) ? "default" : agentId);
    writer.WriteString("content"u8, "AI response to: " + content);
    writer.WriteNumber("timestamp"u8, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
    writer.WriteEndObject();
    writer.Flush();
    return true;
}
