using System;
using System.Management.Automation;
using RapidMessageTools.Client;
using RapidMessageTools.TestEnvironment;

namespace RapidMessageTools.Commands;

/// <summary>
/// Test-RapidProtocol: checks a protocol profile (every mistake names its key) and, given -Url, sends one
/// message of each kind the profile supports and says which mappings real frames matched.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "RapidProtocol")]
[OutputType(typeof(RapidProtocolCheck))]
public sealed class TestRapidProtocolCommand : RapidAsyncCmdlet
{
    /// <summary>The profile: a built-in name, a path, or a hashtable (RAPID_TEST_PROTOCOL when absent).</summary>
    [Parameter(Position = 0, ValueFromPipeline = true)]
    public object? Protocol { get; set; }

    /// <summary>A backend to try the profile on (for SignalR, the hub's URL).</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string? Url { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Token { get; set; }

    [Parameter]
    [ValidateRange(0.5, 600.0)]
    public double TimeoutSec { get; set; } = 10;

    protected override void ProcessRecord()
    {
        var profile = ProtocolArgument.Resolve(this, Protocol, Url);
        if (Url is null)
        {
            WriteObject(ProtocolCheck.Describe(profile));
            return;
        }

        var options = new ConnectionOptions(Url)
        {
            Token = Token,
            UserId = Token is null ? "protocol-check-" + Guid.NewGuid().ToString("N").Substring(0, 8) : null,
            ConnectAttempts = 1,
            ConnectTimeoutSec = TimeoutSec,
            Profile = profile,
        };
        try
        {
            options.BuildUri();
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, ErrorIds.InvalidSettingValue, ErrorCategory.InvalidArgument, Url));
            return;
        }

        try
        {
            var check = WaitFor(ProtocolCheck.RunAsync(profile, options, Log, Cancellation), "Test-RapidProtocol", _ => "Trying each message of " + profile.Name + " on " + Url);
            if (check is not null)
            {
                WriteObject(check);
            }
        }
        catch (RapidConnectionException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, ErrorIds.ScenarioConnectFailed, ErrorCategory.ConnectionError, Url));
        }
    }
}
