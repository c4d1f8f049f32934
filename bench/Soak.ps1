<#
.SYNOPSIS
    The soak of issue 7: scenarios in a loop for -Minutes against a mock with random faults switched on.
    Every result must account for every message (Delivered + Rejected + Lost = distinct messages sent),
    nothing may hang or crash, and no connection may be left open. Writes bench/results/soak-*.json and
    exits 1 on any accounting mismatch or leftover. Run through `dotnet pwsh ./build.ps1 -Task Bench -Soak`.
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingWriteHost', '', Justification = 'talks to the person running it; results go to files and the pipeline')]
param(
    [string] $ResultsDirectory = (Join-Path $PSScriptRoot 'results'),
    [int] $Repeat = 1,
    [double] $Minutes = 5,
    [switch] $Quick
)
$ErrorActionPreference = 'Stop'
Import-Module RapidMessageTools
if ($Quick) { $Minutes = 0.5 }
$null = $Repeat

$fault = @{ DropReplies = 0.001; DuplicateReplies = 0.001; ReorderReplies = 0.001; LatencyOutliers = 0.001; OutlierDelay = 0.05; Seed = 42 }
$server = Start-RapidMockServer -Fault $fault -QueueCapacity 2000
# Scenarios whose ids are each sent once, so Sent is the number of distinct messages.
$plan = @(
    @{ Name = 'Benchmark'; Rate = 2000; Duration = 2; Connections = 4; TimeoutSec = 3 }
    @{ Name = 'Sequential'; MessageCount = 2000; TimeoutSec = 3 }
    @{ Name = 'MultiUser'; Users = 20; MessageCount = 100; TimeoutSec = 3 }
    @{ Name = 'Benchmark'; MessageCount = 10000; Connections = 8; TimeoutSec = 3 }
)
$totals = [ordered]@{ Runs = 0; Sent = 0L; Delivered = 0L; Rejected = 0L; Lost = 0L; Duplicates = 0L; OutOfOrder = 0L; FailedRuns = 0 }
$mismatches = [System.Collections.Generic.List[object]]::new()
$errors = [System.Collections.Generic.List[string]]::new()
$clock = [Diagnostics.Stopwatch]::StartNew()
try {
    $i = 0
    while ($clock.Elapsed.TotalMinutes -lt $Minutes) {
        $step = $plan[$i % $plan.Count]; $i++
        try {
            $r = Invoke-RapidScenario -Url $server.Url @step -WarningAction SilentlyContinue
        }
        catch {
            $errors.Add("$($step.Name): $($_.FullyQualifiedErrorId): $($_.Exception.Message)")
            continue
        }
        $totals.Runs++
        $totals.Sent += $r.Sent; $totals.Delivered += $r.Delivered; $totals.Rejected += $r.Rejected
        $totals.Lost += $r.Lost; $totals.Duplicates += $r.Duplicates; $totals.OutOfOrder += $r.OutOfOrder
        if (-not $r.Passed) { $totals.FailedRuns++ }
        if ($r.Delivered + $r.Rejected + $r.Lost -ne $r.Sent) {
            $mismatches.Add([ordered]@{ Scenario = $r.Scenario; RunId = $r.RunId; Sent = $r.Sent; Delivered = $r.Delivered; Rejected = $r.Rejected; Lost = $r.Lost })
        }
        Write-Host ("{0,6:N0} s  {1,-11} sent {2,6} delivered {3,6} rejected {4,4} lost {5,3} dup {6,3} ooo {7,3}" -f $clock.Elapsed.TotalSeconds, $r.Scenario, $r.Sent, $r.Delivered, $r.Rejected, $r.Lost, $r.Duplicates, $r.OutOfOrder)
    }
}
finally {
    Start-Sleep -Milliseconds 500
    $leftOpen = $server.Stats.ConnectionsOpen
    $stats = $server.Stats
    $server | Stop-RapidMockServer
}

$report = [ordered]@{
    Date = [DateTime]::UtcNow.ToString('o'); Minutes = $Minutes; Fault = $fault
    Totals = $totals; AccountingMismatches = $mismatches; Errors = $errors
    ConnectionsLeftOpen = $leftOpen; ServerStats = $stats
}
New-Item -ItemType Directory -Path $ResultsDirectory -Force | Out-Null
$file = Join-Path $ResultsDirectory ("soak-{0:yyyyMMdd-HHmmss}.json" -f [DateTime]::UtcNow)
$report | ConvertTo-Json -Depth 6 | Set-Content -Path $file -Encoding utf8
Write-Host ("Soak: {0} runs, {1:N0} sent, {2:N0} delivered, {3:N0} rejected, {4:N0} lost; {5} accounting mismatches, {6} errors, {7} connections left open. {8}" -f $totals.Runs, $totals.Sent, $totals.Delivered, $totals.Rejected, $totals.Lost, $mismatches.Count, $errors.Count, $leftOpen, $file)
if ($mismatches.Count -or $errors.Count -or $leftOpen) { exit 1 }
