<#
.SYNOPSIS
    What the mock's idempotency window holds under large messages: sends -Count messages of -Characters
    characters from one user and prints the ids forgotten early and the heap retained. Measures only.
.EXAMPLE
    dotnet pwsh -NoProfile -File bench/LargeMessages.ps1                        # default bound (256 MiB per user)
.EXAMPLE
    dotnet pwsh -NoProfile -File bench/LargeMessages.ps1 -WindowBytes 100GB     # effectively unbounded, for comparison
#>
[CmdletBinding()]
param(
    [int] $Count = 1000,
    [int] $Characters = 500000,
    [long] $WindowBytes = 256MB,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/RapidMessageTools/RapidMessageTools.psd1')
)
$ErrorActionPreference = 'Stop'
if (-not (Test-Path $ModulePath)) { throw "No built module at $ModulePath; run: dotnet pwsh ./build.ps1 -Task Build" }
Import-Module $ModulePath -Force
$none = [Threading.CancellationToken]::None
$mock = Start-RapidMockServer -IdempotencyWindowBytes $WindowBytes -MaxMessageBytes ([math]::Max(1MB, $Characters * 2))
$socket = [System.Net.WebSockets.ClientWebSocket]::new()
try {
    $socket.ConnectAsync([uri]($mock.Url + '?user_id=large'), $none).Wait()
    $content = 'x' * $Characters
    $buffer = [byte[]]::new(64KB)
    foreach ($i in 1..$Count) {
        $payload = [Text.Encoding]::UTF8.GetBytes((@{ type = 'user_message'; message_id = "large-$i"; sequence_id = $i; content = $content } | ConvertTo-Json -Compress))
        $socket.SendAsync([ArraySegment[byte]]$payload, 'Text', $true, $none).Wait()
        do { $r = $socket.ReceiveAsync([ArraySegment[byte]]$buffer, $none).GetAwaiter().GetResult() } until ($r.EndOfMessage)
    }
    [pscustomobject]@{
        Messages                  = $Count
        Characters                = $Characters
        WindowBytes               = $WindowBytes
        IdempotencyForgottenEarly = $mock.Stats.IdempotencyForgottenEarly
        HeapRetainedMB            = [math]::Round([GC]::GetTotalMemory($true) / 1MB)
        ProcessRssMB              = [math]::Round([Diagnostics.Process]::GetCurrentProcess().WorkingSet64 / 1MB)
    }
}
finally {
    $socket.Dispose()
    $mock | Stop-RapidMockServer
}
