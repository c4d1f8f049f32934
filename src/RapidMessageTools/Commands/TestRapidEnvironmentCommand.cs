using System;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.TestEnvironment;

namespace RapidMessageTools.Commands;

/// <summary>Test-RapidEnvironment: probes the WebSocket endpoint, the backend /health and the auth service, concurrently.</summary>
[Cmdlet(VerbsDiagnostic.Test, "RapidEnvironment")]
[OutputType(typeof(RapidEnvironmentReport))]
[OutputType(typeof(bool))]
public sealed class TestRapidEnvironmentCommand : RapidAsyncCmdlet
{

    /// <summary>The WebSocket endpoint; defaults to $env:E2E_WEBSOCKET_URL.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Url { get; set; }

    /// <summary>The backend's base URL (binds a mock server's BaseUrl from the pipeline).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("BaseUrl")]
    [ValidateNotNullOrEmpty]
    public string? BackendUrl { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? AuthServiceUrl { get; set; }

    [Parameter]
    [ValidateSet(RapidTestModes.Mock, RapidTestModes.Real, IgnoreCase = true)]
    public string? Mode { get; set; }

    [Parameter]
    [ValidateRange(0.1, 600.0)]
    public double TimeoutSec { get; set; } = 5;

    [Parameter]
    public SwitchParameter IncludeTokenCheck { get; set; }

    [Parameter]
    public SwitchParameter Quiet { get; set; }

    /// <summary>How the WebSocket endpoint speaks (a SignalR profile negotiates before the upgrade).</summary>
    [Parameter]
    public object? Protocol { get; set; }

    /// <summary>Writes each probe's outcome, with a timestamp, to this file (tokens redacted).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TraceFile { get; set; }

    protected override void ProcessRecord()
    {
        var settings = SessionSettings.Resolve(
            this,
            new RapidSettingsInput { WebSocketUrl = Url, BackendUrl = BackendUrl, AuthServiceUrl = AuthServiceUrl, Mode = Mode },
            s => !s.IsWebSocketUrlConfigured);
        WriteVerbose($"Probing ({settings.Mode} mode, timeout {TimeoutSec} s): WebSocket {settings.WebSocketUrl} ({settings.WebSocketUrlSource}), backend {settings.BackendUrl} ({settings.BackendUrlSource}), auth {settings.AuthServiceUrl} ({settings.AuthServiceUrlSource}){(IncludeTokenCheck ? ", with a token check" : string.Empty)}.");
        using var trace = TraceFiles.Open(this, TraceFile);
        var options = new EnvironmentProbeOptions { Timeout = TimeSpan.FromSeconds(TimeoutSec), IncludeTokenCheck = IncludeTokenCheck.IsPresent, Trace = trace, Profile = ProtocolArgument.Resolve(this, Protocol, settings.WebSocketUrl) };
        var report = WaitFor(
            EnvironmentProbe.ProbeAsync(settings, options, Cancellation),
            "Test-RapidEnvironment",
            waited => FormattableString.Invariant($"Probing the WebSocket endpoint, the backend and the auth service ({waited.TotalSeconds:0} s of at most {TimeoutSec:0.#} s)"));

        foreach (var s in report.Services)
        {
            WriteVerbose(s.ToString());
        }

        WriteVerbose(report.Reason);
        if (Quiet)
        {
            WriteObject(report.IsReady);
        }
        else
        {
            WriteObject(report);
        }
    }
}
