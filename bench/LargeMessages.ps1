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
. (Join-Path $PSScriptRoot '../tests/Pester/Support/WsTestClient.ps1')
$mock = Start-RapidMockServer -IdempotencyWindowBytes $WindowBytes -MaxMessageBytes ([math]::Max(1MB, $Characters * 2))
$client = $null
try {
    $client = New-WsTestClient $mock.Url -Query @{ user_id = 'large' }
    $content = 'x' * $Characters
    foreach ($i in 1..$Count) {
        Send-WsUserMessage $client -MessageId "large-$i" -SequenceId $i -Content $content
        if ((Receive-WsFrame $client -TimeoutSec 10).MessageType -ne 'Text') { throw "No reply to message $i." }
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
    if ($client) { Remove-WsTestClient $client }
    $mock | Stop-RapidMockServer
}
