<#
.SYNOPSIS
    Runs every scenario against the mock with each fault switched on and prints the table of outcomes
    (which violation codes each scenario reports). The mock streams every reply (4 chunks), so the
    stream faults run too and every scenario shows it accepts streamed replies. Usage, after a build:
    $env:PSModulePath = "$PWD/out" + [IO.Path]::PathSeparator + $env:PSModulePath; ./bench/FaultMatrix.ps1
#>
Import-Module RapidMessageTools
$faults = [ordered]@{
    'none'              = @{}
    'DropReplies'       = @{ DropReplies = 0.05; Seed = 3 }
    'DuplicateReplies'  = @{ DuplicateReplies = 0.05; Seed = 3 }
    'ReorderReplies'    = @{ ReorderReplies = 0.05; Seed = 3 }
    'ProcessDuplicates' = @{ ProcessDuplicates = $true }
    'DropOnOverflow'    = @{ DropOnOverflow = $true }
    'CorruptState'      = @{ CorruptState = 1 }
    'StaleState'        = @{ StaleState = 1 }
    'NoStateUpdate'     = @{ NoStateUpdate = $true }
    'DisconnectAfter'   = @{ DisconnectAfter = 30 }
    'LatencyOutliers'   = @{ LatencyOutliers = 0.05; OutlierDelay = 0.3; Seed = 5 }
    'LeakState'         = @{ LeakState = $true }
    'DropChunk'         = @{ DropChunk = 0.2; Seed = 3 }
    'ReorderChunks'     = @{ ReorderChunks = 0.2; Seed = 3 }
    'DuplicateChunk'    = @{ DuplicateChunk = 0.2; Seed = 3 }
    'CutStream'         = @{ CutStream = 0.1; Seed = 3 }
    'FinalMismatch'     = @{ FinalMismatch = 0.2; Seed = 3 }
    'StallStreams'      = @{ StallStreams = 0.02; StallDelay = 2.5; Seed = 3 }
    'ChunksAfterFinal'  = @{ ChunksAfterFinal = 0.2; Seed = 3 }
    'IgnoreCancel'      = @{ IgnoreCancel = $true }
    'CancelWithoutFinal' = @{ CancelWithoutFinal = $true }
    'CancelDropsNext'   = @{ CancelDropsNext = $true }
}
$sizes = @{
    Sequential = @{ MessageCount = 300 }; BurstIdempotency = @{ Bursts = 3 }; QueueOverflow = @{}
    AgentStateConsistency = @{ MessageCount = 50 }; WebSocketStability = @{ Bursts = 3 }; CrossAgentSync = @{ MessageCount = 9 }
    MultiUser = @{ Users = 4; MessageCount = 30 }; Benchmark = @{ MessageCount = 600; MaxLatency = 0.2 }
    Streaming = @{ MessageCount = 60 }; StreamCancel = @{ MessageCount = 30 }
}
$rows = foreach ($f in $faults.GetEnumerator()) {
    $row = [ordered]@{ Fault = $f.Key }
    $fault = $f.Value
    $s = Start-RapidMockServer -Fault $fault -QueueCapacity 50 -ResponseDelay 0.002 -StreamChunks 4 -ChunkInterval 0.002
    try {
        foreach ($name in (Get-RapidScenario).Name) {
            $p = $sizes[$name]
            try {
                $r = Invoke-RapidScenario $name -Url $s.Url -TimeoutSec 2 @p -WarningAction SilentlyContinue
                $row[$name] = if ($r.Passed) { 'pass' } else { (@($r.Violations.Code | Select-Object -Unique) -join '+') }
            } catch { $row[$name] = 'ERROR ' + $_.FullyQualifiedErrorId }
        }
    } finally { $s | Stop-RapidMockServer }
    [pscustomobject]$row
}
$rows | ConvertTo-Json | Set-Content (Join-Path ([IO.Path]::GetTempPath()) "fault-matrix.json")
$rows | Format-Table -AutoSize | Out-String -Width 400
