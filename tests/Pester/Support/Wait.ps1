# The one bounded wait of the test suite. Dot-source inside BeforeAll (Support/WsTestClient.ps1 does).
param()

function Wait-Condition {
    <# .SYNOPSIS Polls -Condition every 50 ms until it is true or -TimeoutSec passes; returns whether it became true. #>
    param(
        [Parameter(Mandatory, Position = 0)] [scriptblock] $Condition,
        [double] $TimeoutSec = 5
    )
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    while ($true) {
        if (& $Condition) { return $true }
        if ($clock.Elapsed.TotalSeconds -ge $TimeoutSec) { return $false }
        Start-Sleep -Milliseconds 50
    }
}
