# Streamed replies on the client: every scenario accepts them, results carry time to first chunk and
# chunk gaps (mergeable), Streaming and StreamCancel pass on a healthy streaming mock, are Inconclusive
# without streams, and name each stream fault by its own violation and by no other stream violation.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
param()

BeforeDiscovery {
    $olderScenarios = @('Sequential', 'BurstIdempotency', 'QueueOverflow', 'AgentStateConsistency', 'WebSocketStability', 'CrossAgentSync', 'MultiUser', 'Benchmark')
    $slowStreams = @{ StreamChunks = 10; ChunkInterval = 0.01 }
    $streamFaultCases = @(
        @{ Scenario = 'Streaming'; Fault = @{ DropChunk = 0.2; Seed = 3 }; Server = @{ StreamChunks = 6 }; Run = @{}; Expect = 'StreamIncomplete' }
        @{ Scenario = 'Streaming'; Fault = @{ ReorderChunks = 0.2; Seed = 3 }; Server = @{ StreamChunks = 6 }; Run = @{}; Expect = 'ChunkOutOfOrder' }
        @{ Scenario = 'Streaming'; Fault = @{ DuplicateChunk = 0.2; Seed = 3 }; Server = @{ StreamChunks = 6 }; Run = @{}; Expect = 'ChunkDuplicated' }
        @{ Scenario = 'Streaming'; Fault = @{ CutStream = 0.1; Seed = 3 }; Server = @{ StreamChunks = 6 }; Run = @{ TimeoutSec = 2 }; Expect = 'StreamCut' }
        @{ Scenario = 'Streaming'; Fault = @{ FinalMismatch = 0.2; Seed = 3 }; Server = @{ StreamChunks = 6 }; Run = @{}; Expect = 'StreamFinalMismatch' }
        @{ Scenario = 'Streaming'; Fault = @{ StallStreams = 0.05; StallDelay = 0.8; Seed = 3 }; Server = @{ StreamChunks = 6 }; Run = @{ MaxChunkGap = 0.4 }; Expect = 'ChunkGap' }
        @{ Scenario = 'Streaming'; Fault = @{ ChunksAfterFinal = 0.2; Seed = 3 }; Server = @{ StreamChunks = 6 }; Run = @{}; Expect = 'ChunkAfterFinal' }
        @{ Scenario = 'StreamCancel'; Fault = @{ IgnoreCancel = $true }; Server = $slowStreams; Run = @{}; Expect = 'CancelIgnored' }
        @{ Scenario = 'StreamCancel'; Fault = @{ CancelWithoutFinal = $true }; Server = $slowStreams; Run = @{ TimeoutSec = 2 }; Expect = 'CancelNotClosed' }
        @{ Scenario = 'StreamCancel'; Fault = @{ CancelDropsNext = $true }; Server = $slowStreams; Run = @{ TimeoutSec = 2 }; Expect = 'NextNotServed' }
        @{ Scenario = 'StreamCancel'; Fault = @{ DuplicateChunk = 0.3; Seed = 5 }; Server = $slowStreams; Run = @{}; Expect = 'ChunkDuplicated' }
        @{ Scenario = 'StreamCancel'; Fault = @{ ChunksAfterFinal = 0.3; Seed = 5 }; Server = $slowStreams; Run = @{}; Expect = 'ChunkAfterFinal' }
    )
}

BeforeAll {
    Import-Module RapidMessageTools -Force
    function Get-Code($result) { @($result.Violations | ForEach-Object Code) }
    $StreamCodes = @('StreamIncomplete', 'ChunkOutOfOrder', 'ChunkDuplicated', 'StreamCut', 'StreamFinalMismatch', 'ChunkAfterFinal',
        'ChunkGap', 'FirstChunkLatency', 'CancelIgnored', 'CancelNotClosed', 'NextNotServed')
}

Describe 'Every older scenario with streamed replies' -Tag 'Integration' {
    BeforeAll {
        $server = Start-RapidMockServer -StreamChunks 4
        $slow = Start-RapidMockServer -StreamChunks 4 -QueueCapacity 50 -ResponseDelay 0.002
    }
    AfterAll {
        $server, $slow | Stop-RapidMockServer
    }

    It '<_> passes, latency to the final frame, with the stream figures' -ForEach $olderScenarios {
        $target = if ($_ -eq 'QueueOverflow') { $slow } else { $server }
        $r = Invoke-RapidScenario $_ -Url $target.Url
        $r.Passed | Should -BeTrue -Because ($r.Violations -join '; ')
        $r.Lost | Should -Be 0
        $r.StreamsCompleted | Should -Be $r.Delivered -Because 'every answered message streamed and ended with its final frame'
        $r.ChunksDelivered | Should -Be (4 * $r.StreamsCompleted)
        $r.StreamsCut | Should -Be 0
        $r.FirstChunkLatency.Count | Should -Be $r.StreamsCompleted
        $r.Latency.Count | Should -Be $r.Histogram.TotalCount
    }
}

Describe 'Streaming and StreamCancel on a healthy mock' -Tag 'Integration' {
    BeforeAll {
        $server = Start-RapidMockServer -StreamChunks 6
        $slow = Start-RapidMockServer -StreamChunks 10 -ChunkInterval 0.01
        $plain = Start-RapidMockServer
    }
    AfterAll {
        $server, $slow, $plain | Stop-RapidMockServer
    }

    It 'Streaming passes and accounts for every chunk, first chunk and gap' {
        $r = Invoke-RapidScenario Streaming -Url $server.Url -MessageCount 60 -Agents 3
        $r.Outcome | Should -Be 'Passed' -Because ($r.Violations -join '; ')
        $r.Delivered | Should -Be 60
        $r.StreamsCompleted | Should -Be 60
        $r.ChunksDelivered | Should -Be 360
        $r.FirstChunkLatency.Count | Should -Be 60
        $r.ChunkGap.Count | Should -Be 300
        $r.FirstChunkHistogram.TotalCount | Should -Be 60
        $r.ChunkGapHistogram.TotalCount | Should -Be 300
        $r.FirstChunkLatency.P50 | Should -BeLessOrEqual $r.Latency.P50 -Because 'the first chunk comes before the final frame'
    }

    It 'StreamCancel passes, with streams cancelled and every next message served' {
        $r = Invoke-RapidScenario StreamCancel -Url $slow.Url
        $r.Outcome | Should -Be 'Passed' -Because ($r.Violations -join '; ')
        $r.StreamsCancelled | Should -BeGreaterThan 0
        $r.StreamsCancelled + $r.StreamsCompleted | Should -Be $r.Delivered
        $r.Lost | Should -Be 0
    }

    It '<_> is Inconclusive, not Passed, against a backend that does not stream' -ForEach @('Streaming', 'StreamCancel') {
        $r = Invoke-RapidScenario $_ -Url $plain.Url
        $r.Outcome | Should -Be 'Inconclusive'
        $r.Passed | Should -BeFalse
        # StreamCancel may also say its cancels came after the (unstreamed) replies: a mock that answers at once.
        Get-Code $r | Select-Object -Unique | Should -Be @('NotProvoked')
        @($r.Violations | Where-Object Message -Match 'no ai_response_chunk came').Count | Should -Be 1
        $r.FirstChunkLatency | Should -BeNullOrEmpty
    }

    It 'judges time to first chunk when -MaxFirstChunkLatency is given, even where latency is not judged by default' {
        $r = Invoke-RapidScenario Streaming -Url $server.Url -MaxFirstChunkLatency 0.000001
        $v = @($r.Violations | Where-Object Code -EQ 'FirstChunkLatency')
        $v.Count | Should -Be 1
        $v[0].Limit | Should -Be 0.000001
        $v[0].Value | Should -Be ($r.FirstChunkLatency.P99 / 1000)
        $r.Thresholds.Sources.MaxFirstChunkLatency | Should -Be 'Parameter'
    }

    It 'takes the stream limits from RAPID_TEST_*, a parameter winning, and warns on an unparsable one' {
        $saved = $env:RAPID_TEST_MAX_CHUNK_GAP, $env:RAPID_TEST_MAX_FIRST_CHUNK_LATENCY
        try {
            $env:RAPID_TEST_MAX_CHUNK_GAP = '0.000001'
            $env:RAPID_TEST_MAX_FIRST_CHUNK_LATENCY = 'soon'
            $r = Invoke-RapidScenario Streaming -Url $server.Url -MessageCount 12 -WarningVariable w -WarningAction SilentlyContinue
            $r.Thresholds.MaxChunkGap | Should -Be 0.000001
            $r.Thresholds.Sources.MaxChunkGap | Should -Be 'Environment'
            Get-Code $r | Should -Contain 'ChunkGap'
            $r.Thresholds.MaxFirstChunkLatency | Should -Be 1
            ($w -join ' ') | Should -Match 'RAPID_TEST_MAX_FIRST_CHUNK_LATENCY'
            $p = Invoke-RapidScenario Streaming -Url $server.Url -MessageCount 12 -MaxChunkGap 5 -WarningAction SilentlyContinue
            $p.Thresholds.MaxChunkGap | Should -Be 5
            $p.Thresholds.Sources.MaxChunkGap | Should -Be 'Parameter'
            Get-Code $p | Should -Not -Contain 'ChunkGap'
        }
        finally { $env:RAPID_TEST_MAX_CHUNK_GAP, $env:RAPID_TEST_MAX_FIRST_CHUNK_LATENCY = $saved }
    }

    It 'merges stream histograms exactly and sums the stream counts' {
        $a = Invoke-RapidScenario Streaming -Url $server.Url -MessageCount 30 -Shard 1/2
        $b = Invoke-RapidScenario Streaming -Url $server.Url -MessageCount 30 -Shard 2/2
        $m = $a, $b | Merge-RapidResult
        $m.FirstChunkHistogram.TotalCount | Should -Be ($a.FirstChunkHistogram.TotalCount + $b.FirstChunkHistogram.TotalCount)
        $m.ChunkGapHistogram.TotalCount | Should -Be ($a.ChunkGapHistogram.TotalCount + $b.ChunkGapHistogram.TotalCount)
        $m.ChunksDelivered | Should -Be ($a.ChunksDelivered + $b.ChunksDelivered)
        $m.StreamsCompleted | Should -Be 60
        $m.FirstChunkLatency.Max | Should -Be ([Math]::Max($a.FirstChunkLatency.Max, $b.FirstChunkLatency.Max))
    }

    It 'round-trips the stream figures through Export-Clixml' {
        $r = Invoke-RapidScenario Streaming -Url $server.Url -MessageCount 12
        $path = Join-Path $TestDrive 's.xml'
        $r | Export-Clixml $path
        $back = Import-Clixml $path
        $back.FirstChunkHistogram.Encoded | Should -Be $r.FirstChunkHistogram.Encoded
        $back.ChunkGap.P99 | Should -Be $r.ChunkGap.P99
        ($back | Merge-RapidResult).ChunksDelivered | Should -Be $r.ChunksDelivered
    }
}

Describe 'Each stream fault is named by its own violation' -Tag 'Integration' {
    Context '<Scenario> with <Expect> injected' -ForEach $streamFaultCases {
        BeforeAll {
            $server = Start-RapidMockServer -Fault $Fault @Server
        }
        AfterAll {
            $server | Stop-RapidMockServer
        }
        It 'fails naming <Expect> and no other stream violation' {
            $r = Invoke-RapidScenario $Scenario -Url $server.Url @Run
            $r.Outcome | Should -Be 'Failed'
            $codes = Get-Code $r
            $codes | Should -Contain $Expect
            $others = @($codes | Where-Object { $_ -in $StreamCodes -and $_ -ne $Expect })
            $others | Should -BeNullOrEmpty -Because ($r.Violations -join '; ')
        }
    }
}
