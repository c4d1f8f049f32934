using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using RapidMessageTools.MockServer;

namespace RapidMessageTools.Commands;

/// <summary>Get-RapidMockServer: the mock servers running in this session.</summary>
[Cmdlet(VerbsCommon.Get, "RapidMockServer")]
[OutputType(typeof(RapidMockServer))]
public sealed class GetRapidMockServerCommand : PSCmdlet
{
    /// <summary>Only the server on this port.</summary>
    [Parameter(Position = 0)]
    public int? Port { get; set; }

    protected override void EndProcessing()
    {
        var servers = MockServerRegistry.List(Runspace.DefaultRunspace.InstanceId);
        WriteObject(servers.Where(s => Port is null || s.Port == Port).ToArray(), enumerateCollection: true);
    }
}
