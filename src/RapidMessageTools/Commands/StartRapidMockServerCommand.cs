using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using RapidMessageTools.MockServer;

namespace RapidMessageTools.Commands;

/// <summary>Start-RapidMockServer: starts the stateful mock backend in this session.</summary>
[Cmdlet(VerbsLifecycle.Start, "RapidMockServer", SupportsShouldProcess = true)]
[OutputType(typeof(RapidMockServer))]
public sealed class StartRapidMockServerCommand : RapidAsyncCmdlet
{
    private static readonly string[] EnvironmentNames = ["E2E_WEBSOCKET_URL", "E2E_BACKEND_URL", "E2E_AUTH_SERVICE_URL", "RAPID_MESSAGE_TEST_MODE"];
    private RapidMockServer? _waitingServer;

    [Parameter(Position = 0)]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string ListenAddress { get; set; } = "127.0.0.1";

    [Parameter]
    [ValidateRange(0.0, 3600.0)]
    public double ResponseDelay { get; set; }

    [Parameter]
    [ValidateRange(0.0, 3600.0)]
    public double ResponseJitter { get; set; }

    /// <summary>Stream every reply as this many ai_response_chunk frames before its final ai_response.</summary>
    [Parameter]
    [ValidateRange(0, 100_000)]
    public int StreamChunks { get; set; }

    /// <summary>Seconds between two chunks of a streamed reply.</summary>
    [Parameter]
    [ValidateRange(0.0, 60.0)]
    public double ChunkInterval { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int QueueCapacity { get; set; } = MockServerOptions.DefaultQueueCapacity;

    [Parameter]
    [ValidateRange(10_000, int.MaxValue)]
    public int IdempotencyWindow { get; set; } = MockServerOptions.DefaultIdempotencyWindow;

    [Parameter]
    [ValidateRange(1024 * 1024, long.MaxValue)]
    public long IdempotencyWindowBytes { get; set; } = MockServerOptions.DefaultIdempotencyWindowBytes;

    [Parameter]
    [ValidateRange(256, int.MaxValue)]
    public int MaxMessageBytes { get; set; } = MockServerOptions.DefaultMaxMessageBytes;

    [Parameter]
    public SwitchParameter RequireAuth { get; set; }

    /// <summary>Faults to inject, e.g. <c>@{ DropReplies = 0.1; Seed = 7 }</c>.</summary>
    [Parameter]
    public MockFaultSettings? Fault { get; set; }

    /// <summary>The protocol the mock speaks: a built-in name, a profile's path, or a hashtable (RAPID_TEST_PROTOCOL when absent).</summary>
    [Parameter]
    public object? Protocol { get; set; }

    [Parameter]
    public SwitchParameter Wait { get; set; }

    [Parameter]
    public SwitchParameter SetEnvironment { get; set; }

    protected override void EndProcessing()
    {
        var options = new MockServerOptions
        {
            Port = Port,
            ListenAddress = ListenAddress,
            ResponseDelay = ResponseDelay,
            ResponseJitter = ResponseJitter,
            StreamChunks = StreamChunks,
            ChunkInterval = ChunkInterval,
            QueueCapacity = QueueCapacity,
            IdempotencyWindow = IdempotencyWindow,
            IdempotencyWindowBytes = IdempotencyWindowBytes,
            MaxMessageBytes = MaxMessageBytes,
            RequireAuth = RequireAuth.IsPresent,
            Fault = Fault ?? new MockFaultSettings(),
            Profile = ProtocolArgument.Resolve(this, Protocol, url: null),
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, ErrorIds.InvalidMockOption, ErrorCategory.InvalidArgument, options));
            return;
        }

        var target = $"{ListenAddress}:{(Port == 0 ? "any free port" : Port.ToString(System.Globalization.CultureInfo.InvariantCulture))}";
        if (!ShouldProcess(target, "Start mock backend"))
        {
            return;
        }

        if (!options.IsLoopback)
        {
            WriteWarning($"The mock listens on {ListenAddress}, not loopback: other machines can reach it and it has no production-grade security. Use -ListenAddress 127.0.0.1 unless you mean this.");
        }

        RapidMockServer server;
        try
        {
            server = RapidMockServer.Start(options);
        }
        catch (InvalidOperationException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, ErrorIds.MockPortUnavailable, ErrorCategory.ResourceUnavailable, target));
            return;
        }

        IDictionary<string, string?>? saved = null;
        if (SetEnvironment)
        {
            saved = new Dictionary<string, string?>();
            foreach (var name in EnvironmentNames)
            {
                saved[name] = System.Environment.GetEnvironmentVariable(name);
            }

            System.Environment.SetEnvironmentVariable("E2E_WEBSOCKET_URL", server.Url);
            System.Environment.SetEnvironmentVariable("E2E_BACKEND_URL", server.BaseUrl);
            System.Environment.SetEnvironmentVariable("E2E_AUTH_SERVICE_URL", server.BaseUrl);
            System.Environment.SetEnvironmentVariable("RAPID_MESSAGE_TEST_MODE", "mock");
            WriteVerbose($"E2E_WEBSOCKET_URL={server.Url}; E2E_BACKEND_URL and E2E_AUTH_SERVICE_URL={server.BaseUrl}.");
        }

        MockServerRegistry.Add(Runspace.DefaultRunspace.InstanceId, server, saved);
        WriteVerbose($"Mock backend listening at {server.Url} (health {server.HealthUrl}, auth {server.AuthUrl}).");
        WriteObject(server);
        if (Wait)
        {
            _waitingServer = server;
            WaitUntilCancelled(server);
        }
    }

    /// <summary>With -Wait, Ctrl+C ends the cmdlet and the server with it.</summary>
    protected override void DisposeResources()
    {
        if (_waitingServer is not null)
        {
            StopRapidMockServerCommand.StopAndForget(Runspace.DefaultRunspace.InstanceId, _waitingServer);
            _waitingServer = null;
        }
    }

    private void WaitUntilCancelled(RapidMockServer server)
    {
        var progress = new ProgressRecord(1, $"Mock backend at {server.Url}", "Serving; press Ctrl+C to stop.");
        while (!IsStopping && server.IsRunning)
        {
            var s = server.Stats;
            progress.StatusDescription = FormattableString.Invariant(
                $"{s.ConnectionsOpen} connections open ({s.ConnectionsTotal} total), {s.MessagesReceived} received, {s.Processed} processed, {s.Rejected} rejected, {s.Duplicates} duplicates, {s.Queued} queued. Ctrl+C stops.");
            WriteProgress(progress);
            Cancellation.WaitHandle.WaitOne(TimeSpan.FromSeconds(1));
        }

        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);
    }
}
