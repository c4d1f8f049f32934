// An ASP.NET Core SignalR chat hub for the tests: the backend semantics of docs/PROTOCOL.md in the
// wire shape of module/Examples/signalr-chat.json, with switchable faults (see HubOptions.Faults).
//
//   dotnet SignalRHub.dll --urls http://127.0.0.1:0 [--queue-capacity N] [--response-delay S]
//       [--jitter S] [--seed N] [--fault NAME[=RATE]]... [--stream-chunks N] [--chunk-interval S]
//       [--keep-alive S] [--client-timeout S] [--max-lifetime S] [--exit-on-stdin-eof]
//
// Once listening it prints one JSON line on stdout and nothing after it:
//   {"port":N,"url":"http://127.0.0.1:N/hub/chat","base_url":"http://127.0.0.1:N",...}
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using SignalRHub;

HubOptions options;
try
{
    options = HubOptions.Parse(args);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync("SignalRHub: " + e.Message + Environment.NewLine + HubOptions.Usage);
    return 2;
}

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
builder.WebHost.UseUrls(options.Urls);
// stdout carries the one JSON line; everything the host says goes to stderr, warnings and up.
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSingleton(options);
builder.Services.AddSingleton<ChatBackend>();
builder.Services
    .AddSignalR(o =>
    {
        o.EnableDetailedErrors = true;
        o.KeepAliveInterval = TimeSpan.FromSeconds(options.KeepAliveSeconds);
        o.ClientTimeoutInterval = TimeSpan.FromSeconds(options.ClientTimeoutSeconds);
        o.MaximumParallelInvocationsPerClient = 1;
    })
    .AddJsonProtocol(o => o.PayloadSerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull);

var app = builder.Build();
_ = app.Services.GetRequiredService<ChatBackend>(); // its uptime starts now
app.MapGet("/health", (ChatBackend backend) => Results.Json(new
{
    status = "ok",
    uptime_s = Math.Round(backend.Uptime.TotalSeconds, 3),
    connections = backend.Connections,
}));
app.MapHub<ChatHub>("/hub/chat");

await app.StartAsync();

var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
var port = new Uri(address).Port;
var baseUrl = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}");
Console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
{
    ["port"] = port,
    ["url"] = baseUrl + "/hub/chat",
    ["base_url"] = baseUrl,
    ["faults"] = options.Faults,
    ["pid"] = Environment.ProcessId,
}));
Console.Out.Flush();

// Lifelines: standard input closing (the test helper's), --max-lifetime, or SIGTERM / Ctrl+C.
var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
app.Lifetime.ApplicationStopping.Register(() => stop.TrySetResult());
if (options.ExitOnStdinEof)
{
    _ = Task.Run(() =>
    {
        using var stdin = Console.OpenStandardInput();
        stdin.CopyTo(Stream.Null);
        stop.TrySetResult();
    });
}
using var lifetime = new CancellationTokenSource(TimeSpan.FromSeconds(options.MaxLifetimeSeconds));
lifetime.Token.Register(() => stop.TrySetResult());

await stop.Task;
using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(3));
await app.StopAsync(grace.Token);
return 0;
