<#
.SYNOPSIS
    Managed heap per idle connection of the mock, in its own process (bench/MockProcess.ps1).
.DESCRIPTION
    Opens one connection and waits (code paths loaded), reads the mock's managed heap after a full collection,
    opens -Count more idle WebSocket connections (a user each, nothing sent), waits until the mock counts them
    all open, reads the heap again and prints the difference per connection, with the working set's beside it
    (RSS is noisy at a few hundred connections; the heap is not). Measures only; asserts nothing.
.EXAMPLE
    dotnet pwsh -NoProfile -File bench/IdleMemory.ps1 -Count 500
#>
[CmdletBinding()]
param(
    [int] $Count = 500,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/RapidMessageTools/RapidMessageTools.psd1')
)
$ErrorActionPreference = 'Stop'
if (-not (Test-Path $ModulePath)) { throw "No built module at $ModulePath; run: dotnet pwsh ./build.ps1 -Task Build" }
$info = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
foreach ($a in 'pwsh', '-NoProfile', '-NonInteractive', '-File', (Join-Path $PSScriptRoot 'MockProcess.ps1'), '-ModulePath', (Resolve-Path $ModulePath).Path) { $info.ArgumentList.Add($a) }
$info.RedirectStandardInput = $true
$info.RedirectStandardOutput = $true
$info.UseShellExecute = $false
$mock = [System.Diagnostics.Process]::Start($info)
$sockets = [System.Collections.Generic.List[System.Net.WebSockets.ClientWebSocket]]::new()
try {
    $line = $mock.StandardOutput.ReadLine()
    if ($line -notmatch '^URL (\S+)') { throw "The mock process did not start: $line" }
    $url = $Matches[1]
    function Send-MockCommand([string] $Command) { $mock.StandardInput.WriteLine($Command); $mock.StandardOutput.ReadLine() }
    function Read-MockMemory {
        $answer = Send-MockCommand 'heap'
        if ($answer -notmatch '^HEAP (\d+) RSS (\d+)') { throw "Unexpected answer from the mock process: $answer" }
        @{ Heap = [long]$Matches[1]; Rss = [long]$Matches[2] }
    }
    function Open-IdleConnection([string] $UserId) {
        $socket = [System.Net.WebSockets.ClientWebSocket]::new()
        $socket.Options.KeepAliveInterval = [TimeSpan]::Zero
        $null = $socket.ConnectAsync([Uri]"$url`?user_id=$UserId", [Threading.CancellationToken]::None).GetAwaiter().GetResult()
        $sockets.Add($socket)
    }
    $run = [guid]::NewGuid().ToString('N').Substring(0, 8)
    Open-IdleConnection "idle$run-warm"
    Start-Sleep -Seconds 1
    $before = Read-MockMemory
    for ($i = 0; $i -lt $Count; $i++) { Open-IdleConnection "idle$run-$i" }
    while ([long]((Send-MockCommand 'open') -replace '^OPEN ', '') -lt $Count + 1) { Start-Sleep -Milliseconds 200 }
    Start-Sleep -Seconds 1
    $after = Read-MockMemory
    [pscustomobject]@{
        Connections           = $Count
        HeapBytesPerConnection = [math]::Round(($after.Heap - $before.Heap) / $Count)
        RssBytesPerConnection  = [math]::Round(($after.Rss - $before.Rss) / $Count)
    }
}
finally {
    $mock.StandardInput.WriteLine('stop')
    if (-not $mock.WaitForExit(10000)) { $mock.Kill() }
    foreach ($s in $sockets) { $s.Abort(); $s.Dispose() }
}
