using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using RapidMessageTools.MockServer;

namespace RapidMessageTools.Commands;

/// <summary>Stop-RapidMockServer: closes every connection of a mock, frees its port, leaves nothing running.</summary>
[Cmdlet(VerbsLifecycle.Stop, "RapidMockServer", SupportsShouldProcess = true, DefaultParameterSetName = ServerSet)]
[OutputType(typeof(RapidMockServer))]
public sealed class StopRapidMockServerCommand : PSCmdlet
{
    private const string ServerSet = "Server";
    private const string PortSet = "Port";
    private const string AllSet = "All";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = ServerSet)]
    public RapidMockServer[] InputObject { get; set; } = [];

    /// <summary>Port of the server to stop; binds from a deserialized server's Port property too.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PortSet)]
    public int[] Port { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = AllSet)]
    public SwitchParameter All { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Stops a server, forgets it, and restores the E2E_* variables it set.</summary>
    internal static void StopAndForget(Guid runspace, RapidMockServer server)
    {
        if (MockServerRegistry.Remove(runspace, server, out var saved) && saved is not null)
        {
            foreach (var kv in saved)
            {
                System.Environment.SetEnvironmentVariable(kv.Key, kv.Value);
            }
        }

        server.Stop();
    }

    protected override void ProcessRecord()
    {
        var runspace = Runspace.DefaultRunspace.InstanceId;
        IEnumerable<RapidMockServer> targets = ParameterSetName switch
        {
            AllSet => MockServerRegistry.List(runspace),
            PortSet => ByPort(runspace),
            _ => InputObject,
        };
        foreach (var server in targets.ToArray())
        {
            if (!ShouldProcess(server.Url, "Stop mock backend"))
            {
                continue;
            }

            WriteVerbose($"Stopping the mock backend at {server.Url}.");
            StopAndForget(runspace, server);
            if (PassThru)
            {
                WriteObject(server);
            }
        }
    }

    private IEnumerable<RapidMockServer> ByPort(Guid runspace)
    {
        var servers = MockServerRegistry.List(runspace);
        foreach (var port in Port)
        {
            var match = servers.FirstOrDefault(s => s.Port == port);
            if (match is null)
            {
                WriteError(new ErrorRecord(
                    new ItemNotFoundException($"No mock server of this session listens on port {port}; Get-RapidMockServer lists them."),
                    ErrorIds.MockServerNotFound,
                    ErrorCategory.ObjectNotFound,
                    port));
                continue;
            }

            yield return match;
        }
    }
}
