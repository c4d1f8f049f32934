using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

// The ceiling of .NET WebSocket framing on loopback, client and server in one process, each doing the least
// the mock and the client do per message: parse the JSON, write a JSON reply. No ledger, no idempotency.
//   dotnet run -c Release -- plain   200000 1     each frame is its own socket write, as with HttpListener's
//                                                 and ClientWebSocket's WebSockets (the decided stack)
//   dotnet run -c Release -- batched 200000 100   WebSocket.CreateFromStream over a stream that holds writes
//                                                 until the writer runs out of work, then writes them at once
// Arguments: mode, messages, connections (250 in flight per connection).
var mode = args.Length > 0 ? args[0] : "plain";
var n = args.Length > 1 ? int.Parse(args[1]) : 200000;
var conns = args.Length > 2 ? int.Parse(args[2]) : 1;
bool batched = mode == "batched";

var listener = new TcpListener(IPAddress.Loopback, 0);
listener.Start();
var port = ((IPEndPoint)listener.LocalEndpoint).Port;
_ = Task.Run(async () => { while (true) { var s = await listener.AcceptSocketAsync(); s.NoDelay = true; _ = Serve(s); } });

var sw = Stopwatch.StartNew();
var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
var tasks = new List<Task>();
for (int c = 0; c < conns; c++) tasks.Add(RunClient(n / conns));
await Task.WhenAll(tasks);
sw.Stop();
var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
Console.WriteLine($"{mode} conns={conns}: {n / sw.Elapsed.TotalSeconds:N0} msg/s, cpu {cpu * 1e6 / n:N1} us/msg");

async Task Serve(Socket s)
{
    var ns = new NetworkStream(s, true);
    var bs = new BatchStream(ns, batched);
    var ws = WebSocket.CreateFromStream(bs, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
    var buf = new byte[16384];
    var outBuf = new ArrayBufferWriter<byte>(256);
    var next = ws.ReceiveAsync(buf.AsMemory(), default);
    while (true)
    {
        if (!next.IsCompleted && bs.Pending > 0) await bs.FlushBatchAsync();   // out of work: flush the batch
        var r = await next;
        if (r.MessageType == WebSocketMessageType.Close) return;
        string id = null; long seq = 0; string content = null;
        var reader = new Utf8JsonReader(buf.AsSpan(0, r.Count));
        while (reader.Read()) if (reader.TokenType == JsonTokenType.PropertyName) {
            if (reader.ValueTextEquals("message_id")) { reader.Read(); id = reader.GetString(); }
            else if (reader.ValueTextEquals("sequence_id")) { reader.Read(); seq = reader.GetInt64(); }
            else if (reader.ValueTextEquals("content")) { reader.Read(); content = reader.GetString(); } }
        outBuf.Clear();
        using (var w = new Utf8JsonWriter(outBuf)) { w.WriteStartObject(); w.WriteString("type", "ai_response"); w.WriteString("message_id", id); w.WriteNumber("sequence_id", seq); w.WriteString("agent_id", "default"); w.WriteString("content", "AI response to: " + content); w.WriteNumber("timestamp", 1.5); w.WriteEndObject(); }
        await ws.SendAsync(outBuf.WrittenMemory, WebSocketMessageType.Text, true, default);
        next = ws.ReceiveAsync(buf.AsMemory(), default);
    }
}

async Task RunClient(int count)
{
    var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    await s.ConnectAsync(IPAddress.Loopback, port);
    var bs = new BatchStream(new NetworkStream(s, true), batched);
    var ws = WebSocket.CreateFromStream(bs, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
    var gate = new SemaphoreSlim(250);
    var recv = Task.Run(async () => {
        var buf = new byte[16384]; int got = 0;
        while (got < count) {
            var r = await ws.ReceiveAsync(buf.AsMemory(), default);
            var reader = new Utf8JsonReader(buf.AsSpan(0, r.Count));
            while (reader.Read()) if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("message_id")) { reader.Read(); _ = reader.GetString(); }
            got++; gate.Release();
        }
    });
    var outBuf = new ArrayBufferWriter<byte>(256);
    for (int i = 0; i < count; i++)
    {
        if (!gate.Wait(0)) { if (bs.Pending > 0) await bs.FlushBatchAsync(); await gate.WaitAsync(); }
        outBuf.Clear();
        using (var w = new Utf8JsonWriter(outBuf)) { w.WriteStartObject(); w.WriteString("type", "user_message"); w.WriteString("message_id", "run-1-" + i); w.WriteNumber("sequence_id", i); w.WriteString("content", "Rapid message " + i); w.WriteEndObject(); }
        await ws.SendAsync(outBuf.WrittenMemory, WebSocketMessageType.Text, true, default);
    }
    if (bs.Pending > 0) await bs.FlushBatchAsync();
    await recv;
}

sealed class BatchStream(NetworkStream inner, bool batched) : Stream
{
    private byte[] _buf = new byte[64 * 1024];
    public int Pending;
    public bool DataAvailable => inner.DataAvailable;
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct = default)
    {
        if (!batched) return inner.WriteAsync(data, ct);
        if (Pending + data.Length > _buf.Length) return FlushThenWrite(data, ct);
        data.Span.CopyTo(_buf.AsSpan(Pending)); Pending += data.Length; return default;
    }
    private async ValueTask FlushThenWrite(ReadOnlyMemory<byte> data, CancellationToken ct) { await FlushBatchAsync(ct); data.Span.CopyTo(_buf.AsSpan(Pending)); Pending += data.Length; }
    public override Task FlushAsync(CancellationToken ct) => Task.CompletedTask;
    public async Task FlushBatchAsync(CancellationToken ct = default) { if (Pending == 0) return; var n = Pending; Pending = 0; await inner.WriteAsync(_buf.AsMemory(0, n), ct); }
    public override ValueTask<int> ReadAsync(Memory<byte> b, CancellationToken ct = default) => inner.ReadAsync(b, ct);
    public override int Read(byte[] b, int o, int c) => inner.Read(b, o, c);
    public override void Write(byte[] b, int o, int c) => WriteAsync(b.AsMemory(o, c)).AsTask().GetAwaiter().GetResult();
    public override Task WriteAsync(byte[] b, int o, int c, CancellationToken ct) => WriteAsync(b.AsMemory(o, c), ct).AsTask();
    public override void Flush() { }
    public override bool CanRead => true; public override bool CanSeek => false; public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException(); public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long o, SeekOrigin s) => throw new NotSupportedException(); public override void SetLength(long v) => throw new NotSupportedException();
}
