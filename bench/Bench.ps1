<#
.SYNOPSIS
    The benchmark set of issue 6: runs each measurement -Repeat times against the mock (in this process),
    reports the median of each figure, and writes one JSON file of results. Run through
    `dotnet pwsh ./build.ps1 -Task Bench` (Release build, fresh process).
.PARAMETER Quick
    Every size divided by 10: a smoke run of the harness itself.
.PARAMETER SettleLoad
    Before each measurement, waits (up to 3 minutes) until the 1-minute load average is under this value, so a
    figure does not start in the wake of the one before it (Linux; 0, the default: does not wait).
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingWriteHost', '', Justification = 'talks to the person running it; results go to files and the pipeline')]
param(
    [string] $ResultsDirectory = (Join-Path $PSScriptRoot 'results'),
    [ValidateRange(1, 20)] [int] $Repeat = 3,
    [switch] $Quick,
    # Only the measurements whose names match one of these wildcards (default: all).
    [string[]] $Only = @('*'),
    [ValidateRange(0, 64)] [double] $SettleLoad = 0
)
$ErrorActionPreference = 'Stop'
Import-Module RapidMessageTools
$scale = if ($Quick) { 0.1 } else { 1 }
$settleBelow = $SettleLoad
$onlyPatterns = @($Only)
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
    if (-not ($script:onlyPatterns | Where-Object { $Name -like $_ })) { return }
    Wait-QuietMachine
    Write-Host ("{0,-34} " -f $Name) -NoNewline
    $loadAtStart = Get-LoadAverage
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
    $script:measurements[$Name] = [ordered]@{ Description = $Description; Median = $medians; Targets = $Targets; TargetMet = $met; LoadAtStart = $loadAtStart; LoadAverage = (Get-LoadAverage); Runs = @($raw) }
    Write-Host (($medians.GetEnumerator() | ForEach-Object { '{0}={1:N3}' -f $_.Key, $_.Value }) -join '  ')
    Write-Host ("{0,-34} machine load (1-minute average) {1} at the start, {2} at the end" -f '', $loadAtStart, (Get-LoadAverage))
}
# The 1-minute load average (Linux): timing figures mean little when other work shares the cores.
function Get-LoadAverage { try { ((Get-Content /proc/loadavg -ErrorAction Stop) -split ' ')[0] } catch { 'n/a' } }
# -SettleLoad: waits for the load average to fall under it (it decays over about a minute after a busy figure).
function Wait-QuietMachine {
    if ($settleBelow -le 0 -or (Get-LoadAverage) -eq 'n/a') { return }
    $clock = [Diagnostics.Stopwatch]::StartNew()
    while ([double](Get-LoadAverage) -ge $settleBelow -and $clock.Elapsed.TotalMinutes -lt 3) { Start-Sleep -Seconds 5 }
    if ($clock.Elapsed.TotalSeconds -ge 5) { Write-Host ("waited {0:N0} s for the load average to fall to {1}" -f $clock.Elapsed.TotalSeconds, (Get-LoadAverage)) }
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

# Protocol profiles against the built-in protocol, side by side in one run: one connection pipelined, client and
# mock both speaking the profile (a JSON profile with renamed, nested fields; SignalR's hub records).
Measure-Figure 'profile-pipelined-1-connection' "one connection, pipelined (250 in flight), $(Size 100000) messages: built-in protocol, the acme JSON profile and the SignalR profile, same run" @{ JsonThroughputRatio = @{ Min = 0.9 }; SignalRThroughputRatio = @{ Min = 0.75 } } {
    $examples = Join-Path (Get-Module RapidMessageTools).ModuleBase 'Examples'
    $figures = @{}
    foreach ($p in @(@{ Label = 'BuiltIn'; Protocol = 'Rapid' }, @{ Label = 'Json'; Protocol = (Join-Path $examples 'acme.json') }, @{ Label = 'SignalR'; Protocol = (Join-Path $examples 'signalr-chat.json') })) {
        $o = Invoke-Load ($big + @{ Protocol = $p.Protocol }) @{ Name = 'Benchmark'; Connections = 1; MessageCount = (Size 100000); MaxInFlight = 250; TimeoutSec = 60 }
        $figures["$($p.Label)MsgPerSec"] = $o.Result.ThroughputPerSec
        $figures["$($p.Label)CpuUsPerMsg"] = $o.Cost.CpuUsPerMsg
        $figures["$($p.Label)AllocBytesPerMsg"] = $o.Cost.AllocBytesPerMsg
        $figures["$($p.Label)Lost"] = $o.Result.Lost
    }
    $figures.JsonThroughputRatio = [math]::Round($figures.JsonMsgPerSec / [math]::Max(1, $figures.BuiltInMsgPerSec), 3)
    $figures.SignalRThroughputRatio = [math]::Round($figures.SignalRMsgPerSec / [math]::Max(1, $figures.BuiltInMsgPerSec), 3)
    $figures
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

# Streamed replies: every reply as 20 chunks. Cost per chunk is client and mock together (one process), as above.
$streaming = $big + @{ StreamChunks = 20 }
Measure-Figure 'streaming-20-chunks' "replies streamed as 20 chunks, 4 connections pipelined, $(Size 20000) messages" @{ ChunksPerSec = @{ Min = 100000 } } {
    $o = Invoke-Load $streaming @{ Name = 'Benchmark'; Connections = 4; MessageCount = (Size 20000); MaxInFlight = 100; TimeoutSec = 60 }
    $chunks = [math]::Max(1, $o.Result.ChunksDelivered)
    $perChunk = $o.Result.Sent / $chunks
    @{
        ChunksPerSec = [math]::Round($o.Result.ThroughputPerSec * $chunks / [math]::Max(1, $o.Result.Delivered))
        MsgPerSec = $o.Result.ThroughputPerSec; FirstChunkP99Ms = $o.Result.FirstChunkLatency.P99; ChunkGapP99Ms = $o.Result.ChunkGap.P99
        CpuUsPerChunk = [math]::Round($o.Cost.CpuUsPerMsg * $perChunk, 3); AllocBytesPerChunk = [math]::Round($o.Cost.AllocBytesPerMsg * $perChunk)
        Lost = $o.Result.Lost; StreamsCut = $o.Result.StreamsCut
    }
}

Measure-Figure 'streaming-fixed-rate' "replies streamed as 20 chunks at a fixed 500 msg/s (10,000 chunks/s) for $(5 * $scale) s: time to first chunk from the intended send" @{ FirstChunkP99Ms = @{ Max = 5 } } {
    $o = Invoke-Load $streaming @{ Name = 'Benchmark'; Connections = 4; Rate = 500; Duration = (5 * $scale); TimeoutSec = 30 }
    @{
        FirstChunkP50Ms = $o.Result.FirstChunkLatency.P50; FirstChunkP99Ms = $o.Result.FirstChunkLatency.P99; FirstChunkP999Ms = $o.Result.FirstChunkLatency.P999
        FirstChunkMaxMs = $o.Result.FirstChunkLatency.Max; ChunkGapP99Ms = $o.Result.ChunkGap.P99; ReplyP99Ms = $o.Result.Latency.P99
        LateSends = $o.Result.LateSends; Lost = $o.Result.Lost
    }
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
function Get-MockProcessOpen([hashtable] $Mock) {
    $Mock.Process.StandardInput.WriteLine('open')
    $line = $Mock.Process.StandardOutput.ReadLine()
    if ($line -notmatch '^OPEN (\d+)') { throw "Unexpected answer from the mock process: $line" }
    [long]$Matches[1]
}
function Invoke-MockProcessStop([hashtable] $Mock) {
    $Mock.Process.StandardInput.WriteLine('stop')
    if (-not $Mock.Process.WaitForExit(10000)) { $Mock.Process.Kill() }
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
    finally { Invoke-MockProcessStop $mock }
}

# The reference client: a bare ClientWebSocket program (bench/ReferenceClient) that drives the same load and
# matches every reply, built once per bench run. The module's client is judged by its CPU per message against it.
$referenceDll = $null
function Get-ReferenceClient {
    if (-not $script:referenceDll) {
        $project = Join-Path $PSScriptRoot 'ReferenceClient'
        $output = Join-Path ([IO.Path]::GetTempPath()) 'rapid-reference-client'
        & dotnet build $project -c Release -o $output --nologo -v quiet | Out-Null
        if ($LASTEXITCODE -ne 0) { throw "bench/ReferenceClient did not build (dotnet build exit code $LASTEXITCODE)." }
        $script:referenceDll = Join-Path $output 'ReferenceClient.dll'
    }
    $script:referenceDll
}
function Invoke-ReferenceClient([string] $Url, [int] $Messages, [int] $Connections, [int] $InFlight) {
    $line = & dotnet (Get-ReferenceClient) $Url $Messages $Connections $InFlight | Select-Object -Last 1
    if ($LASTEXITCODE -ne 0) { throw "The reference client did not match every reply: $line" }
    $line | ConvertFrom-Json
}
# The module's client alone (the mock in its own process): this process's CPU per message sent.
function Invoke-ClientAlone([hashtable] $Mock, [hashtable] $Scenario) {
    $process = [System.Diagnostics.Process]::GetCurrentProcess()
    [GC]::Collect(); [GC]::WaitForPendingFinalizers()
    $cpu = $process.TotalProcessorTime
    $allocated = [GC]::GetTotalAllocatedBytes($true)
    $r = Invoke-RapidScenario -Url $Mock.Url @Scenario -WarningAction SilentlyContinue
    $process.Refresh()
    $n = [math]::Max(1, $r.Sent)
    if ($r.Lost -gt 0 -or $r.Rejected -gt 0) { Write-Warning "$($r.Scenario): lost $($r.Lost), rejected $($r.Rejected): $($r.Violations -join '; ')" }
    @{
        Result           = $r
        CpuUsPerMsg      = [math]::Round(($process.TotalProcessorTime - $cpu).TotalMilliseconds * 1000 / $n, 2)
        AllocBytesPerMsg = [math]::Round(([GC]::GetTotalAllocatedBytes($true) - $allocated) / $n)
    }
}

# Client alone against the mock in another process, beside the reference client on the same load and the same mock.
foreach ($load in @(
        @{ Name = 'client-alone-pipelined'; Text = "one connection, 250 in flight, $(Size 200000) messages"; Connections = 1; Messages = (Size 200000); InFlight = 250 }
        @{ Name = 'client-alone-100-connections'; Text = "100 connections, 100 in flight each, $(100 * (Size 2000)) messages"; Connections = 100; Messages = 100 * (Size 2000); InFlight = 100 }
    )) {
    Measure-Figure $load.Name "$($load.Text); the mock in its own process; CPU per message of the module's client and of a bare ClientWebSocket client (bench/ReferenceClient), same run" @{ CpuRatio = @{ Max = 1.3 } } {
        $mock = Start-MockProcess
        try {
            $ref = Invoke-ReferenceClient $mock.Url $load.Messages $load.Connections $load.InFlight
            $o = Invoke-ClientAlone $mock @{ Name = 'Benchmark'; Connections = $load.Connections; MessageCount = $load.Messages; MaxInFlight = $load.InFlight; TimeoutSec = 60 }
            @{
                MsgPerSec        = $o.Result.ThroughputPerSec
                CpuUsPerMsg      = $o.CpuUsPerMsg
                AllocBytesPerMsg = $o.AllocBytesPerMsg
                RefMsgPerSec     = $ref.MsgPerSec
                RefCpuUsPerMsg   = $ref.CpuUsPerMsg
                CpuRatio         = [math]::Round($o.CpuUsPerMsg / [math]::Max(0.01, $ref.CpuUsPerMsg), 2)
                Lost             = $o.Result.Lost
            }
        }
        finally { Invoke-MockProcessStop $mock }
    }
}

# The mock beside a minimal Kestrel WebSocket server (bench/KestrelReference), each in its own process, driven by the
# same external client (bench/ReferenceClient): throughput, server CPU per message (the server process's CPU time
# around the measured run, after five warm-up runs on each) and idle working set. The mock's figures as ratios of Kestrel's.
$kestrelDll = $null
function Get-KestrelReference {
    if (-not $script:kestrelDll) {
        $output = Join-Path ([IO.Path]::GetTempPath()) 'rapid-kestrel-reference'
        & dotnet build (Join-Path $PSScriptRoot 'KestrelReference') -c Release -o $output --nologo -v quiet | Out-Null
        if ($LASTEXITCODE -ne 0) { throw "bench/KestrelReference did not build (dotnet build exit code $LASTEXITCODE)." }
        $script:kestrelDll = Join-Path $output 'KestrelReference.dll'
    }
    $script:kestrelDll
}
# `dotnet <dll>` runs the server in the process it starts, so that process's CPU time and working set are the server's.
function Start-KestrelProcess {
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'starts the reference server for a measurement; -WhatIf has no meaning here')]
    param()
    $info = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    $info.ArgumentList.Add((Get-KestrelReference))
    $info.RedirectStandardInput = $true
    $info.RedirectStandardOutput = $true
    $info.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($info)
    $line = $process.StandardOutput.ReadLine()
    if ($line -notmatch '^URL (\S+)') { $process.Kill(); throw "The Kestrel reference server did not start: $line" }
    @{ Process = $process; Server = $process; Url = $Matches[1] }
}
# The mock's own pwsh (the grandchild of `dotnet pwsh`), which it names itself.
function Get-MockServerProcess([hashtable] $Mock) {
    $Mock.Process.StandardInput.WriteLine('pid')
    $line = $Mock.Process.StandardOutput.ReadLine()
    if ($line -notmatch '^PID (\d+)') { throw "Unexpected answer from the mock process: $line" }
    [System.Diagnostics.Process]::GetProcessById([int]$Matches[1])
}
# Five warm-up runs of half the messages, a second's pause after each, then the measured run: the client's figures and
# the server's CPU per message and idle working set. The runtime compiles a server's hot code in tiers, in the lulls
# between runs, a stage per lull for code that runs once per connection (100 connections a run). Measured after one
# warm-up run, a perf profile of the mock at 100 connections put a third of its CPU in the JIT's background thread
# (400 methods compiled during the measured run, most of them connection set-up: HttpListener, Uri, handshake);
# after this warm-up about 20 were left. Both servers get the same warm-up.
function Measure-ServerLoad([System.Diagnostics.Process] $Server, [string] $Url, [hashtable] $Load) {
    $Server.Refresh()
    $idleRss = $Server.WorkingSet64
    for ($i = 0; $i -lt 5; $i++) {
        $null = Invoke-ReferenceClient $Url ([math]::Max($Load.Connections, [int] ($Load.Messages / 2))) $Load.Connections $Load.InFlight
        Start-Sleep -Seconds 1
    }
    $Server.Refresh()
    $cpu = $Server.TotalProcessorTime
    $ref = Invoke-ReferenceClient $Url $Load.Messages $Load.Connections $Load.InFlight
    $Server.Refresh()
    @{
        MsgPerSec   = $ref.MsgPerSec
        CpuUsPerMsg = [math]::Round(($Server.TotalProcessorTime - $cpu).TotalMilliseconds * 1000 / [math]::Max(1, $ref.Messages), 2)
        IdleRssMB   = [math]::Round($idleRss / 1MB, 1)
    }
}
foreach ($load in @(
        @{ Name = 'mock-vs-kestrel-pipelined'; Text = "one connection, 250 in flight, $(Size 200000) messages"; Connections = 1; Messages = (Size 200000); InFlight = 250 }
        @{ Name = 'mock-vs-kestrel-100-connections'; Text = "100 connections, 100 in flight each, $(100 * (Size 2000)) messages"; Connections = 100; Messages = 100 * (Size 2000); InFlight = 100 }
    )) {
    Measure-Figure $load.Name "$($load.Text); the mock and a minimal Kestrel WebSocket server (bench/KestrelReference) each in its own process, the same external client (bench/ReferenceClient): throughput, server CPU per message, idle RSS" @{ MockThroughputRatio = @{ Min = 1.0 }; MockCpuRatio = @{ Max = 1.0 } } {
        $mock = Start-MockProcess
        try { $m = Measure-ServerLoad (Get-MockServerProcess $mock) $mock.Url $load }
        finally { Invoke-MockProcessStop $mock }
        $kestrel = Start-KestrelProcess
        try { $k = Measure-ServerLoad $kestrel.Server $kestrel.Url $load }
        finally {
            $kestrel.Process.StandardInput.Close() # end of input stops it
            if (-not $kestrel.Process.WaitForExit(10000)) { $kestrel.Process.Kill() }
        }
        @{
            MockMsgPerSec       = $m.MsgPerSec
            KestrelMsgPerSec    = $k.MsgPerSec
            MockCpuUsPerMsg     = $m.CpuUsPerMsg
            KestrelCpuUsPerMsg  = $k.CpuUsPerMsg
            MockThroughputRatio = [math]::Round($m.MsgPerSec / [math]::Max(1, $k.MsgPerSec), 3)
            MockCpuRatio        = [math]::Round($m.CpuUsPerMsg / [math]::Max(0.01, $k.CpuUsPerMsg), 3)
            MockIdleRssMB       = $m.IdleRssMB
            KestrelIdleRssMB    = $k.IdleRssMB
        }
    }
}

# The generator's own precision at two fixed rates (issue 21's goals: late sends under 0.1 % at 20k, under 0.5 % at 40k).
foreach ($fixed in @(@{ Rate = 20000; LateMaxPct = 0.1 }, @{ Rate = 40000; LateMaxPct = 0.5 })) {
    Measure-Figure "client-alone-fixed-rate-$($fixed.Rate / 1000)k" "fixed rate $($fixed.Rate.ToString('N0', [cultureinfo]::InvariantCulture)) msg/s for $(10 * $scale) s over 4 connections, the mock in its own process: what the generator adds (p99 from intended send minus p99 from actual send) and its late sends" @{ GeneratorP99Ms = @{ Max = 1 }; LateSharePct = @{ Max = $fixed.LateMaxPct } } {
        $mock = Start-MockProcess
        try {
            $paced = @{ Name = 'Benchmark'; Connections = 4; Rate = $fixed.Rate; TimeoutSec = 30 }
            # A fresh mock spends its first seconds compiling its hot paths (tiered JIT) on the same two cores: unwarmed,
            # the first run's late sends measure that, not the generator (0.1-0.6 % cold against under 0.03 % warm, load about 4).
            $null = Invoke-RapidScenario -Url $mock.Url @paced -Duration 5 -WarningAction SilentlyContinue
            $o = Invoke-ClientAlone $mock ($paced + @{ Duration = (10 * $scale) })
            $r = $o.Result
            @{
                P50Ms          = $r.Latency.P50
                P99Ms          = $r.Latency.P99
                ServiceP99Ms   = $r.ServiceLatency.P99
                GeneratorP99Ms = [math]::Round($r.Latency.P99 - $r.ServiceLatency.P99, 3)
                LateSends      = $r.LateSends
                LateSharePct   = [math]::Round(100.0 * $r.LateSends / [math]::Max(1, $r.Sent), 3)
                CpuUsPerMsg    = $o.CpuUsPerMsg
                MsgPerSec      = $r.ThroughputPerSec
                Lost           = $r.Lost
            }
        }
        finally { Invoke-MockProcessStop $mock }
    }
}

Measure-Figure 'client-alone-many-users' "MultiUser: $(Size 1000) users x $(Size 3000) messages back-to-back, the mock in its own process: client CPU per message and retained memory growth per million messages" @{ GrowthMBPerMillion = @{ Max = 10 }; Lost = @{ Max = 0 } } -Runs 1 {
    $mock = Start-MockProcess
    try {
        $o = Invoke-ClientAlone $mock @{ Name = 'MultiUser'; Users = (Size 1000); MessageCount = (Size 3000); TimeoutSec = 120; MaxLatency = 3600 }
        $r = $o.Result
        @{
            Messages           = $r.Sent
            MsgPerSec          = $r.ThroughputPerSec
            CpuUsPerMsg        = $o.CpuUsPerMsg
            ClientGrowthMB     = [math]::Round($r.MemoryGrowthBytes / 1MB, 1)
            GrowthMBPerMillion = [math]::Round($r.MemoryGrowthBytes / 1MB / [math]::Max(1e-6, $r.Sent / 1e6), 2)
            Lost               = $r.Lost
        }
    }
    finally { Invoke-MockProcessStop $mock }
}

# Users who stay: connections ramped in, each user sending one message every 5 s (Poisson) for the hold time.
# Memory per connection is sampled on both sides while every user is connected: the managed heap after a full
# collection and the working set, against the same figures before the run.
Measure-Figure '10000-users-held' "MultiUser: $(Size 10000) users ramped in at 500/s, each held $(120 * $scale) s sending every 5 s (Poisson), the mock in its own process; memory per connection on both sides while all are connected" @{ Lost = @{ Max = 0 }; MockHeapKBPerConn = @{ Max = 20 } } -Runs 1 {
    $users = Size 10000; $hold = 120 * $scale; $connectRate = 500
    $mock = Start-MockProcess
    try {
        $process = [System.Diagnostics.Process]::GetCurrentProcess()
        [GC]::Collect(); [GC]::WaitForPendingFinalizers()
        $clientHeap0 = [GC]::GetTotalMemory($true); $process.Refresh(); $clientRss0 = $process.WorkingSet64
        $mock0 = Get-MockProcessMemory $mock
        $cpu = $process.TotalProcessorTime
        $modulePath = (Get-Module RapidMessageTools).Path
        $url = $mock.Url
        $job = Start-ThreadJob -ScriptBlock {
            Import-Module $using:modulePath
            Invoke-RapidScenario MultiUser -Url $using:url -Users $using:users -ConnectRate $using:connectRate -ThinkTime 5 -Duration $using:hold -Arrival Poisson -Seed 16 -TimeoutSec 60 -MaxLatency 3600 -WarningAction SilentlyContinue
        }
        # Sample once every user is connected (as the mock counts them), while all are held.
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $open = 0
        while ($job.State -in 'NotStarted', 'Running' -and ($open = Get-MockProcessOpen $mock) -lt $users) { Start-Sleep -Milliseconds 500 }
        $allInSeconds = [math]::Round($clock.Elapsed.TotalSeconds, 1)
        if ($open -lt $users) { Write-Warning "Only $open of $users users were connected at once; the memory per connection is over those." ; $users = [math]::Max(1, $open) }
        $clientHeap1 = [GC]::GetTotalMemory($true); $process.Refresh(); $clientRss1 = $process.WorkingSet64
        $mock1 = Get-MockProcessMemory $mock
        $r = $job | Receive-Job -Wait -AutoRemoveJob | Select-Object -Last 1
        $process.Refresh()
        @{
            Users              = $users
            MaxConnections     = $open
            AllConnectedAfterSec = $allInSeconds
            Sent               = $r.Sent
            Delivered          = $r.Delivered
            Lost               = $r.Lost
            P50Ms              = $r.Latency.P50
            P99Ms              = $r.Latency.P99
            LateSends          = $r.LateSends
            Seconds            = $r.Duration
            CpuUsPerMsg        = [math]::Round(($process.TotalProcessorTime - $cpu).TotalMilliseconds * 1000 / [math]::Max(1, $r.Sent), 2)
            ClientHeapKBPerConn = [math]::Round(($clientHeap1 - $clientHeap0) / 1KB / $users, 2)
            ClientRssKBPerConn  = [math]::Round(($clientRss1 - $clientRss0) / 1KB / $users, 2)
            MockHeapKBPerConn   = [math]::Round(($mock1.Heap - $mock0.Heap) / 1KB / $users, 2)
            MockRssKBPerConn    = [math]::Round(($mock1.Rss - $mock0.Rss) / 1KB / $users, 2)
            Outcome            = [int]($r.Outcome -eq 'Passed')
        }
    }
    finally { Invoke-MockProcessStop $mock }
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
    $streams = Start-RapidMockServer -StreamChunks 6 -ChunkInterval 0.005
    try {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $results = @(Get-RapidScenario | Where-Object Name -notin 'QueueOverflow', 'Streaming', 'StreamCancel' | Invoke-RapidScenario -Url $fast.Url) +
            @(Invoke-RapidScenario QueueOverflow -Url $slow.Url) + @(Invoke-RapidScenario Streaming, StreamCancel -Url $streams.Url)
        @{ Seconds = $clock.Elapsed.TotalSeconds; Failed = @($results | Where-Object { -not $_.Passed }).Count }
    }
    finally { $fast, $slow, $streams | Stop-RapidMockServer }
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
