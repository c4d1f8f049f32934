<#
.SYNOPSIS
    Issue 20's figures: how often the noise-aware comparison cries wolf, and how often it catches a real
    regression, on the mock. Writes one JSON file to -ResultsDirectory; no assertion, no timed test.
.DESCRIPTION
    Three measurements, each with the 1-minute load average beside its figures:
    - FalseAlarms: -BaselineRuns runs make the baseline; -Runs more runs of the same configuration against
      the same mock are compared with it. A run with any Regressed verdict is a false alarm (issue 20: at
      most 1 in 20).
    - LatencyRegression: the same baseline, then -Runs runs against a mock whose -ResponseDelay is
      -Slowdown (0.2: 20 %) higher. A run is caught when LatencyP50, P95 or P99 is Regressed (issue 20:
      20 of 20).
    - ThroughputRegression: a fixed rate above what the mock can serve (each connection's agent answers
      one message per -ThroughputDelay seconds, so delivered throughput is the mock's capacity), a
      baseline of -BaselineRuns runs, then -Runs runs against a mock slowed so that capacity drops by
      -ThroughputDrop (0.1: 10 %). A run is caught when Throughput is Regressed (issue 20: 19 of 20).
.PARAMETER Runs
    Compared runs per measurement (20 for the issue's figures; 2 for a smoke run).
.EXAMPLE
    dotnet pwsh ./bench/Regressions.ps1 -Runs 2 -BaselineRuns 3 -Duration 1 -ThroughputDuration 1
    A smoke run of the harness: the figures mean nothing at this size.
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingWriteHost', '', Justification = 'talks to the person running it; results go to a file')]
param(
    [string] $ResultsDirectory = (Join-Path $PSScriptRoot 'results'),
    [ValidateRange(1, 1000)] [int] $Runs = 20,
    [ValidateRange(1, 100)] [int] $BaselineRuns = 5,
    # The latency configuration: a fixed rate the mock serves easily, replies after -ResponseDelay.
    [ValidateRange(1, 100000)] [double] $Rate = 300,
    [ValidateRange(0.1, 3600)] [double] $Duration = 4,
    [ValidateRange(1, 1000)] [int] $Connections = 10,
    [ValidateRange(0.001, 10)] [double] $ResponseDelay = 0.02,
    [ValidateRange(0.01, 10)] [double] $Slowdown = 0.2,
    # The throughput configuration: -ThroughputConnections agents each answering one message per
    # -ThroughputDelay seconds, loaded at -Overload times that capacity.
    [ValidateRange(1, 1000)] [int] $ThroughputConnections = 4,
    [ValidateRange(0.001, 10)] [double] $ThroughputDelay = 0.01,
    [ValidateRange(1.01, 10)] [double] $Overload = 1.5,
    [ValidateRange(0.1, 3600)] [double] $ThroughputDuration = 4,
    [ValidateRange(0.01, 0.9)] [double] $ThroughputDrop = 0.1,
    [hashtable] $Tolerance = @{}
)
$ErrorActionPreference = 'Stop'
Import-Module RapidMessageTools

# The 1-minute load average (Linux): timing figures mean little when other work shares the cores.
function Get-LoadAverage { try { ((Get-Content /proc/loadavg -ErrorAction Stop) -split ' ')[0] } catch { 'n/a' } }

# -Runs runs of one configuration against one mock; returns the runs.
function Invoke-Run {
    param([hashtable] $Mock, [hashtable] $Load, [int] $Count)
    $server = Start-RapidMockServer @Mock
    try {
        # Discarded: the first run against a fresh mock in this process pays for JIT compilation and tiering, and
        # its tail shows it (measured: p99 a fifth above the rest). Every counted run then starts from the same state.
        $null = Invoke-RapidScenario Benchmark -Url $server.Url @Load -NoPipelineLogging -WarningAction SilentlyContinue
        foreach ($i in 1..$Count) {
            Invoke-RapidScenario Benchmark -Url $server.Url @Load -NoPipelineLogging -WarningAction SilentlyContinue
        }
    }
    finally { $server | Stop-RapidMockServer }
}

# Compares each current run with the baseline; a run counts when one of its rows matches $Caught.
function Measure-Verdict {
    param([string] $Name, [string] $Description, [object[]] $Baseline, [object[]] $Current, [scriptblock] $Caught, [string] $Target, [string] $LoadBefore)
    $perRun = @(foreach ($run in $Current) {
        $rows = @($run | Compare-RapidResult -Baseline $Baseline -Tolerance $Tolerance -WarningAction SilentlyContinue)
        # Every metric's verdict and change, so a miss can be read: which rule held it back.
        $verdicts = [ordered]@{}
        foreach ($row in $rows) { $verdicts[$row.Metric] = '{0} {1}' -f $row.Verdict, $row.ChangeText }
        [pscustomobject]@{
            Counted   = [bool] @($rows | Where-Object $Caught).Count
            Regressed = @($rows | Where-Object Verdict -eq 'Regressed' | ForEach-Object Metric)
            LatencyP50Ms = $run.Latency.P50
            LatencyP95Ms = @($rows | Where-Object Metric -eq 'LatencyP95' | ForEach-Object Current)[0]
            LatencyP99Ms = $run.Latency.P99
            ThroughputPerSec = $run.ThroughputPerSec
            Verdicts = $verdicts
        }
    })
    $counted = @($perRun | Where-Object Counted).Count
    $byMetric = [ordered]@{}
    foreach ($metric in $perRun.Regressed | Sort-Object -Unique) { $byMetric[$metric] = @($perRun | Where-Object { $_.Regressed -contains $metric }).Count }
    Write-Host ('{0,-22} {1} of {2} runs ({3})  load {4} -> {5}' -f $Name, $counted, $perRun.Count, $Target, $LoadBefore, (Get-LoadAverage))
    [ordered]@{
        Description         = $Description
        Target              = $Target
        Counted             = $counted
        Runs                = $perRun.Count
        RegressedByMetric   = $byMetric
        BaselineP50Ms       = @($Baseline | ForEach-Object { $_.Latency.P50 })
        BaselineP99Ms       = @($Baseline | ForEach-Object { $_.Latency.P99 })
        BaselineThroughput  = @($Baseline | ForEach-Object { $_.ThroughputPerSec })
        PerRun              = $perRun
        LoadAverageBefore   = $LoadBefore
        LoadAverageAfter    = (Get-LoadAverage)
    }
}

$latencyLoad = @{ Rate = $Rate; Duration = $Duration; Connections = $Connections }
$capacity = $ThroughputConnections / $ThroughputDelay
$throughputLoad = @{ Rate = [math]::Round($capacity * $Overload); Duration = $ThroughputDuration; Connections = $ThroughputConnections }
# Deep enough queues that the overload is served late, never rejected: the drop is in throughput alone.
$queue = [int] [math]::Ceiling($throughputLoad.Rate * $ThroughputDuration)
$measurements = [ordered]@{}

Write-Host "Baseline: $BaselineRuns runs of Benchmark -Rate $Rate -Duration $Duration -Connections $Connections, mock -ResponseDelay $ResponseDelay"
$loadBefore = Get-LoadAverage
$baseline = @(Invoke-Run -Mock @{ ResponseDelay = $ResponseDelay } -Load $latencyLoad -Count $BaselineRuns)
$same = @(Invoke-Run -Mock @{ ResponseDelay = $ResponseDelay } -Load $latencyLoad -Count $Runs)
$measurements.FalseAlarms = Measure-Verdict -Name FalseAlarms -Baseline $baseline -Current $same -Target 'at most 1 of 20' -LoadBefore $loadBefore `
    -Description 'runs of the baseline''s own configuration with any Regressed verdict' -Caught { $_.Verdict -eq 'Regressed' }

$loadBefore = Get-LoadAverage
$slower = @(Invoke-Run -Mock @{ ResponseDelay = $ResponseDelay * (1 + $Slowdown) } -Load $latencyLoad -Count $Runs)
$measurements.LatencyRegression = Measure-Verdict -Name LatencyRegression -Baseline $baseline -Current $slower -Target '20 of 20' -LoadBefore $loadBefore `
    -Description "runs against a mock $([int] ($Slowdown * 100)) % slower to reply with LatencyP50, P95 or P99 Regressed" `
    -Caught { $_.Verdict -eq 'Regressed' -and $_.Metric -in 'LatencyP50', 'LatencyP95', 'LatencyP99' }

Write-Host "Throughput: Benchmark -Rate $($throughputLoad.Rate) (capacity $capacity msg/s x $Overload) -Duration $ThroughputDuration -Connections $ThroughputConnections"
$fast = @{ ResponseDelay = $ThroughputDelay; QueueCapacity = $queue }
$slowed = @{ ResponseDelay = $ThroughputDelay / (1 - $ThroughputDrop); QueueCapacity = $queue }
$loadBefore = Get-LoadAverage
$throughputBaseline = @(Invoke-Run -Mock $fast -Load $throughputLoad -Count $BaselineRuns)
$dropped = @(Invoke-Run -Mock $slowed -Load $throughputLoad -Count $Runs)
$measurements.ThroughputRegression = Measure-Verdict -Name ThroughputRegression -Baseline $throughputBaseline -Current $dropped -Target 'at least 19 of 20' -LoadBefore $loadBefore `
    -Description "fixed-rate runs against a mock whose capacity is $([int] ($ThroughputDrop * 100)) % lower with Throughput Regressed" `
    -Caught { $_.Verdict -eq 'Regressed' -and $_.Metric -eq 'Throughput' }

$commit = try { (& git -C $PSScriptRoot rev-parse HEAD 2>$null) } catch { $null }
$report = [ordered]@{
    Date         = [DateTime]::UtcNow.ToString('o')
    Machine      = [ordered]@{ OS = [System.Runtime.InteropServices.RuntimeInformation]::OSDescription; Cores = [Environment]::ProcessorCount }
    Runtime      = [System.Runtime.InteropServices.RuntimeInformation]::FrameworkDescription
    PowerShell   = $PSVersionTable.PSVersion.ToString()
    Module       = (Get-Module RapidMessageTools).Version.ToString()
    Commit       = $commit
    Settings     = [ordered]@{
        Runs = $Runs; BaselineRuns = $BaselineRuns; Latency = $latencyLoad; ResponseDelay = $ResponseDelay; Slowdown = $Slowdown
        Throughput = $throughputLoad; ThroughputDelay = $ThroughputDelay; ThroughputDrop = $ThroughputDrop; QueueCapacity = $queue; Tolerance = $Tolerance
    }
    Measurements = $measurements
}
New-Item -ItemType Directory -Path $ResultsDirectory -Force | Out-Null
$file = Join-Path $ResultsDirectory ('regressions-{0:yyyyMMdd-HHmmss}.json' -f [DateTime]::UtcNow)
Set-Content -Path $file -Value ($report | ConvertTo-Json -Depth 8) -Encoding utf8
Write-Host "Wrote $file"
