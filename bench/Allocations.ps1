<#
.SYNOPSIS
    Where the garbage comes from: bytes allocated per message, by type, for a pipelined run against the mock.
.DESCRIPTION
    Listens to the runtime's GCAllocationTick events (one about every 100 KB allocated, naming the type) in
    this process while one Benchmark run goes through an in-process mock, after a warm-up run, and prints the
    top types in bytes per message, client and server together. A sampling profile: types allocated rarely
    may not show. Measures only; asserts nothing.
.PARAMETER ServerOnly
    The load comes from bench/ReferenceClient in its own process (built here), so what this process allocates is
    the mock's alone: its bytes per message on the built-in protocol's plain path.
.EXAMPLE
    dotnet pwsh -NoProfile -File bench/Allocations.ps1 -MessageCount 200000
.EXAMPLE
    dotnet pwsh -NoProfile -File bench/Allocations.ps1 -MessageCount 200000 -ServerOnly -Connections 1
#>
[CmdletBinding()]
param(
    [int] $MessageCount = 100000,
    [int] $MaxInFlight = 250,
    [int] $Top = 20,
    [switch] $ServerOnly,
    [int] $Connections = 1,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/RapidMessageTools/RapidMessageTools.psd1')
)
$ErrorActionPreference = 'Stop'
if (-not (Test-Path $ModulePath)) { throw "No built module at $ModulePath; run: dotnet pwsh ./build.ps1 -Task Build" }
Import-Module $ModulePath -Force

if (-not ('AllocationTickListener' -as [type])) {
    Add-Type -TypeDefinition @'
using System;
using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

public sealed class AllocationTickListener : EventListener
{
    public readonly ConcurrentDictionary<string, long> BytesByType = new ConcurrentDictionary<string, long>();
    public volatile bool Recording;

    protected override void OnEventSourceCreated(EventSource source)
    {
        // GC keyword (0x1) at Verbose level carries GCAllocationTick.
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (!Recording || e.EventName == null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal)) return;
        var typeIndex = e.PayloadNames.IndexOf("TypeName");
        var amountIndex = e.PayloadNames.IndexOf("AllocationAmount64");
        var type = typeIndex >= 0 ? (string)e.Payload[typeIndex] : "(unknown)";
        var amount = amountIndex >= 0 ? Convert.ToInt64(e.Payload[amountIndex]) : 100000;
        BytesByType.AddOrUpdate(type, amount, (k, v) => v + amount);
    }
}
'@
}

$listener = [AllocationTickListener]::new()
$mock = Start-RapidMockServer -QueueCapacity 1000000
if ($ServerOnly) {
    $referenceOutput = Join-Path ([IO.Path]::GetTempPath()) 'rapid-reference-client'
    & dotnet build (Join-Path $PSScriptRoot 'ReferenceClient') -c Release -o $referenceOutput --nologo -v quiet | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "bench/ReferenceClient did not build (dotnet build exit code $LASTEXITCODE)." }
    $referenceDll = Join-Path $referenceOutput 'ReferenceClient.dll'
}
# One load: the module's client in this process, or the reference client in its own (then only the mock allocates here).
function Invoke-AllocationLoad([int] $Count, [int] $Clients, [int] $InFlight) {
    if ($ServerOnly) {
        $line = & dotnet $referenceDll $mock.Url $Count $Clients $InFlight | Select-Object -Last 1
        if ($LASTEXITCODE -ne 0) { throw "The reference client did not match every reply: $line" }
        $ref = $line | ConvertFrom-Json
        [pscustomobject]@{ Sent = $ref.Messages; ThroughputPerSec = $ref.MsgPerSec }
    }
    else {
        Invoke-RapidScenario Benchmark -Url $mock.Url -Connections $Clients -MessageCount $Count -MaxInFlight $InFlight
    }
}
try {
    $null = Invoke-AllocationLoad ([math]::Min(20000, $MessageCount)) $Connections $MaxInFlight
    $before = [GC]::GetTotalAllocatedBytes($true)
    $listener.Recording = $true
    $r = Invoke-AllocationLoad $MessageCount $Connections $MaxInFlight
    $listener.Recording = $false
    $total = [GC]::GetTotalAllocatedBytes($true) - $before
}
finally {
    $listener.Dispose()
    $mock | Stop-RapidMockServer
}

$listener.BytesByType.GetEnumerator() | Sort-Object Value -Descending | Select-Object -First $Top |
    ForEach-Object { [pscustomobject]@{ BytesPerMessage = [math]::Round($_.Value / $r.Sent); Type = $_.Key } } | Format-Table -AutoSize
'{0:N0} bytes allocated per message in all ({1:N0} messages, {2:N0} msg/s).' -f ($total / $r.Sent), $r.Sent, $r.ThroughputPerSec
