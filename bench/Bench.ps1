<#
.SYNOPSIS
    The benchmark set of issue 6: runs each measurement -Repeat times against the mock (in this process),
    reports the median of each figure, and writes one JSON file of results. Run through
    `dotnet pwsh ./build.ps1 -Task Bench` (Release build, fresh process).
.PARAMETER Quick
    Every size divided by 10: a smoke run of the harness itself.
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingWriteHost', '', Justification = 'talks to the person running it; results go to files and the pipeline')]
param(
    [string] $ResultsDirectory = (Join-Path $PSScriptRoot 'results'),
    [ValidateRange(1, 20)] [int] $Repeat = 3,
    [switch] $Quick
)
$ErrorActionPreference = 'Stop'
Import-Module RapidMessageTools
$scale = if ($Quick) { 0.1 } else { 1 }
function Size([int] $n) { [int][math]::Max(1, [math]::Round($n * $scale)) }
function Median([double[]] $values) {
    $sorted = @($values | Sort-Object)
    if ($sorted.Count -eq 0) { return $null }
    $mid = [int][math]::Floor($sorted.Count / 2)
    if ($sorted.Count % 2) { $sorted[$mid] } else { ($sorted[$mid - 1] + $sorted[$mid]) / 2 }
}
function Get-Rss { [System.Diagnostics.Process]::GetCurrentProcess().Refresh(); [System.Diagnostics.Process]::GetCurrentProcess().WorkingSet64 }

# One measurement: a script block returning a hashtable of figures, run $Repeat times (or once).
$measurements = [ordered]@{}
function Measure-Figure {
    param([string] $Name, [string] $Description, [hashtable] $Targets, [scriptblock] $Run, [int] $Runs = $Repeat)
    Write-Host ("{0,-34} " -f $Name) -NoNewline
    $raw = @(foreach ($i in 1..$Runs) {
        [GC]::Collect(); [GC]::WaitForPendingFinalizers()
        & $Run
    })
    $medians = [ordered]@{}
    foreach ($key in $raw[0].Keys) { $medians[$key] = Median @($raw | ForEach-Object { [double]$_[$key] }) }
    $met = [ordered]@{}
    foreach ($t in $Targets.GetEnumerator()) {
        $value = $medians[$t.Key]
        $met[$t.Key] = if ($null -ne $t.Value.Max) { $value -le $t.Value.Max } else { $value -ge $t.Value.Min }
    }
    $script:measurements[$Name] = [ordered]@{ Description = $Description; Median = $medians; Targets = $Targets; TargetMet = $met; Runs = @($raw) }
    Write-Host (($medians.GetEnumerator() | ForEach-Object { '{0}={1:N3}' -f $_.Key, $_.Value }) -join '  ')
}

function Invoke-Load {
    param([hashtable] $Server, [hashtable] $Scenario)
    $mock = Start-RapidMockServer @Server
    try {
        $rssBefore = Get-Rss
        $process = [System.Diagnostics.Process]::GetCurrentProcess()
        $cpu = $process.TotalProcessorTime; $user = $process.UserProcessorTime
        $allocated = [GC]::GetTotalAllocatedBytes($true); $gen0 = [GC]::CollectionCount(0)
        $r = Invoke-RapidScenario -Url $mock.Url @Scenario -WarningAction SilentlyContinue
        $process.Refresh()
        $rssAfter = Get-Rss
        if ($r.Lost -gt 0 -or $r.Rejected -gt 0) { Write-Warning "$($r.Scenario): lost $($r.Lost), rejected $($r.Rejected): $($r.Violations -join '; ')" }
        # Cost per message, client and server together (one process): where the time and the garbage go.
        $n = [math]::Max(1, $r.Sent)
        $cost = @{
            CpuUsPerMsg      = [math]::Round(($process.TotalProcessorTime - $cpu).TotalMilliseconds * 1000 / $n, 2)
            KernelUsPerMsg   = [math]::Round((($process.TotalProcessorTime - $cpu) - ($process.UserProcessorTime - $user)).TotalMilliseconds * 1000 / $n, 2)
            AllocBytesPerMsg = [math]::Round(([GC]::GetTotalAllocatedBytes($true) - $allocated) / $n)
            Gen0PerSec       = [math]::Round(([GC]::CollectionCount(0) - $gen0) / [math]::Max(0.001, $r.Duration), 1)
        }
        @{ Result = $r; RssGrowthBytes = $rssAfter - $rssBefore; Stats = $mock.Stats; Cost = $cost }
    }
    finally { $mock | Stop-RapidMockServer }
}

$big = @{ QueueCapacity = 1000000 }

Measure-Figure 'pipelined-1-connection' "one connection, pipelined (250 in flight), $(Size 200000) messages" @{ MsgPerSec = @{ Min = 150000 } } {
    $o = Invoke-Load $big @{ Name = 'Benchmark'; Connections = 1; MessageCount = (Size 200000); MaxInFlight = 250; TimeoutSec = 30 }
    @{ MsgPerSec = $o.Result.ThroughputPerSec; P50Ms = $o.Result.Latency.P50; P99Ms = $o.Result.Latency.P99; Lost = $o.Result.Lost } + $o.Cost
}

Measure-Figure 'request-response' "one connection, strict request/response, $(Size 20000) messages" @{ P99Ms = @{ Max = 0.5 } } {
    $o = Invoke-Load $big @{ Name = 'Benchmark'; Connections = 1; MessageCount = (Size 20000); MaxInFlight = 1; TimeoutSec = 30 }
    @{ RoundTripsPerSec = $o.Result.ThroughputPerSec; P50Ms = $o.Result.Latency.P50; P99Ms = $o.Result.Latency.P99; Lost = $o.Result.Lost }
}

Measure-Figure '100-connections' "100 connections x $(Size 2000) messages" @{ MsgPerSec = @{ Min = 150000 } } {
    $o = Invoke-Load $big @{ Name = 'Benchmark'; Connections = 100; MessageCount = 100 * (Size 2000); MaxInFlight = 100; TimeoutSec = 60 }
    @{ MsgPerSec = $o.Result.ThroughputPerSec; P99Ms = $o.Result.Latency.P99; Lost = $o.Result.Lost } + $o.Cost
}

Measure-Figure '1000-connections' "1,000 connections held open while $(Size 100000) messages flow" @{ Lost = @{ Max = 0 } } {
    $o = Invoke-Load $big @{ Name = 'Benchmark'; Connections = 1000; MessageCount = (Size 100000); MaxInFlight = 20; TimeoutSec = 60 }
    @{ MsgPerSec = $o.Result.ThroughputPerSec; P99Ms = $o.Result.Latency.P99; Lost = $o.Result.Lost; ConnectionDrops = $o.Result.ConnectionDrops; ProcessRssGrowthMB = [math]::Round($o.RssGrowthBytes / 1MB, 1) }
}

Measure-Figure 'fixed-rate-20k' "fixed arrival rate 20,000 msg/s for $(10 * $scale) s (latency from intended send)" @{ P99Ms = @{ Max = 2 } } {
    $o = Invoke-Load $big @{ Name = 'Benchmark'; Connections = 4; Rate = 20000; Duration = (10 * $scale); TimeoutSec = 30 }
    @{ P50Ms = $o.Result.Latency.P50; P99Ms = $o.Result.Latency.P99; P999Ms = $o.Result.Latency.P999; ServiceP99Ms = $o.Result.ServiceLatency.P99; LateSends = $o.Result.LateSends; Lost = $o.Result.Lost; MsgPerSec = $o.Result.ThroughputPerSec } + $o.Cost
}

# One session (one user, one connection), the mock in its own pwsh so each side's memory is its own.
# Growth is the managed heap retained after a full collection, end against start; RSS growth is shown beside it.
function Start-MockProcess {
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'starts the mock for a measurement; -WhatIf has no meaning here')]
    param()
    $info = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    foreach ($a in 'pwsh', '-NoProfile', '-NonInteractive', '-File', (Join-Path $PSScriptRoot 'MockProcess.ps1'), '-ModulePath', (Get-Module RapidMessageTools).Path) { $info.ArgumentList.Add($a) }
    $info.RedirectStandardInput = $true
    $info.RedirectStandardOutput = $true
    $info.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($info)
    $line = $process.StandardOutput.ReadLine()
    if ($line -notmatch '^URL (\S+)') { $process.Kill(); throw "The mock process did not start: $line" }
    @{ Process = $process; Url = $Matches[1] }
}
function Get-MockProcessMemory([hashtable] $Mock) {
    $Mock.Process.StandardInput.WriteLine('heap')
    $line = $Mock.Process.StandardOutput.ReadLine()
    if ($line -notmatch '^HEAP (\d+) RSS (\d+)') { throw "Unexpected answer from the mock process: $line" }
    @{ Heap = [long]$Matches[1]; Rss = [long]$Matches[2] }
}

Measure-Figure 'one-million-messages' "$(Size 1000000) messages through one session (mock in its own process): retained memory growth" @{ ClientGrowthMB = @{ Max = 10 }; ServerGrowthMB = @{ Max = 10 } } -Runs 1 {
    $mock = Start-MockProcess
    try {
        $before = Get-MockProcessMemory $mock
        $r = Invoke-RapidScenario -Name Benchmark -Url $mock.Url -Connections 1 -MessageCount (Size 1000000) -TimeoutSec 120 -WarningAction SilentlyContinue
        $after = Get-MockProcessMemory $mock
        @{
            MsgPerSec         = $r.ThroughputPerSec
            ClientGrowthMB    = [math]::Round($r.MemoryGrowthBytes / 1MB, 1)
            ServerGrowthMB    = [math]::Round(($after.Heap - $before.Heap) / 1MB, 1)
            ServerRssGrowthMB = [math]::Round(($after.Rss - $before.Rss) / 1MB, 1)
            Lost              = $r.Lost
        }
    }
    finally {
        $mock.Process.StandardInput.WriteLine('stop')
        if (-not $mock.Process.WaitForExit(10000)) { $mock.Process.Kill() }
    }
}

# What the timeline costs: the same fixed-rate load with a timeline (1-s intervals) and without (-TimelineInterval 0),
# CPU and allocations per message (client and mock in one process); and the memory an hour of 1-s intervals holds.
foreach ($interval in 1, 0) {
    $label = if ($interval) { 'timeline-on' } else { 'timeline-off' }
    Measure-Figure "fixed-rate-20k-$label" "fixed arrival rate 20,000 msg/s for $([math]::Max(2, 5 * $scale)) s, TimelineInterval $interval" @{ CpuUsPerMsg = @{ Max = 100 } } {
        $o = Invoke-Load $big @{ Name = 'Benchmark'; Connections = 4; Rate = 20000; Duration = [math]::Max(2, 5 * $scale); TimeoutSec = 30; TimelineInterval = $interval }
        @{ P99Ms = $o.Result.Latency.P99; Lost = $o.Result.Lost; Intervals = $o.Result.Timeline.Count } + $o.Cost
    }
}

Measure-Figure 'timeline-hour-memory' 'an hour of 1-s timeline intervals, 200 replies each over 3 decades of latency: retained MB' @{ RetainedMB = @{ Max = 40 } } -Runs 1 {
    $f = [Diagnostics.Stopwatch]::Frequency
    [GC]::Collect(); [GC]::WaitForPendingFinalizers()
    $before = [GC]::GetTotalMemory($true)
    $t = [RapidMessageTools.Metrics.RunTimeline]::new(1, [long]($f / 200), [datetime]::UtcNow, 0)
    $rng = [Random]::new(1)
    $clock = [Diagnostics.Stopwatch]::StartNew()
    for ($s = 0; $s -lt 3600; $s++) {
        for ($k = 0; $k -lt 200; $k++) {
            $at = [long](($s + $k / 200) * $f)
            $t.RecordSend($at, $at)
            $t.RecordReply($at, [long](200 * [math]::Pow(10, 3 * $rng.NextDouble())))
        }
    }
    $entries = $t.ToEntries()
    $seconds = $clock.Elapsed.TotalSeconds
    $retained = [GC]::GetTotalMemory($true) - $before
    [GC]::KeepAlive($t)
    @{ RetainedMB = [math]::Round($retained / 1MB, 1); Intervals = $entries.Count; EncodedBytesPerInterval = [math]::Round(($entries | Measure-Object { $_.EncodedHistogram.Length } -Average).Average); RecordSeconds = [math]::Round($seconds, 1) }
}

Measure-Figure 'import-module' 'Import-Module in a fresh pwsh (seconds)' @{ Seconds = @{ Max = 0.5 } } {
    $modulePath = (Get-Module RapidMessageTools).Path
    $text = & dotnet pwsh -NoProfile -NonInteractive -Command "(Measure-Command { Import-Module '$modulePath' }).TotalSeconds"
    @{ Seconds = [double]($text | Select-Object -Last 1) }
}

Measure-Figure 'healthy-scenario-set' 'the whole healthy scenario set (seconds)' @{ Seconds = @{ Max = 10 } } {
    $fast = Start-RapidMockServer
    $slow = Start-RapidMockServer -QueueCapacity 50 -ResponseDelay 0.002
    try {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $results = @(Get-RapidScenario | Where-Object Name -ne 'QueueOverflow' | Invoke-RapidScenario -Url $fast.Url) + @(Invoke-RapidScenario QueueOverflow -Url $slow.Url)
        @{ Seconds = $clock.Elapsed.TotalSeconds; Failed = @($results | Where-Object { -not $_.Passed }).Count }
    }
    finally { $fast, $slow | Stop-RapidMockServer }
}

$commit = try { (& git -C $PSScriptRoot rev-parse HEAD 2>$null) } catch { $null }
$report = [ordered]@{
    Date         = [DateTime]::UtcNow.ToString('o')
    Quick        = [bool]$Quick
    Repeat       = $Repeat
    Machine      = [ordered]@{
        OS        = [System.Runtime.InteropServices.RuntimeInformation]::OSDescription
        Cores     = [Environment]::ProcessorCount
        MemoryGB  = [math]::Round(((Get-Content /proc/meminfo -ErrorAction SilentlyContinue | Select-String '^MemTotal:\s+(\d+)').Matches.Groups[1].Value / 1MB), 1)
    }
    Runtime      = [System.Runtime.InteropServices.RuntimeInformation]::FrameworkDescription
    PowerShell   = $PSVersionTable.PSVersion.ToString()
    Module       = (Get-Module RapidMessageTools).Version.ToString()
    Commit       = $commit
    ReportFigures = [ordered]@{ MsgPerSec = 847; MeanLatencySec = 0.12; MemoryGrowthMB = 12.4; Source = 'rapid-message-succession-report.md' }
    Measurements = $measurements
}
New-Item -ItemType Directory -Path $ResultsDirectory -Force | Out-Null
$file = Join-Path $ResultsDirectory ("bench-{0:yyyyMMdd-HHmmss}.json" -f [DateTime]::UtcNow)
$json = $report | ConvertTo-Json -Depth 8
Set-Content -Path $file -Value $json -Encoding utf8
Set-Content -Path (Join-Path $ResultsDirectory 'latest.json') -Value $json -Encoding utf8

Write-Host ''
Write-Host 'Median figures (targets from issue 6):'
$measurements.GetEnumerator() | ForEach-Object {
    [pscustomobject]@{
        Measurement = $_.Key
        Figures     = ($_.Value.Median.GetEnumerator() | ForEach-Object { '{0}={1:N3}' -f $_.Key, $_.Value }) -join ' '
        TargetsMet  = ($_.Value.TargetMet.GetEnumerator() | ForEach-Object { '{0}:{1}' -f $_.Key, $_.Value }) -join ' '
    }
} | Format-Table -AutoSize -Wrap | Out-Host
Write-Host "Report's figures: 847 msg/s, 0.12 s mean latency, 12.4 MB memory growth."
Write-Host "Results: $file"
