# Every scenario passes against a healthy mock, and fails with the right violation against the mock
# with its matching fault switched on; faults a scenario must not blame on the wrong cause are checked too.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
param()

BeforeDiscovery {
    $faultCases = @(
        @{ Scenario = 'Sequential'; Fault = @{ DropReplies = 0.05; Seed = 3 }; Server = @{}; Run = @{ TimeoutSec = 2 }; Expect = 'MissingReply' }
        @{ Scenario = 'Sequential'; Fault = @{ DuplicateReplies = 0.05; Seed = 3 }; Server = @{}; Run = @{}; Expect = 'DuplicateReply' }
        @{ Scenario = 'Sequential'; Fault = @{ ReorderReplies = 0.05; Seed = 3 }; Server = @{}; Run = @{}; Expect = 'OutOfOrder' }
        @{ Scenario = 'BurstIdempotency'; Fault = @{ ProcessDuplicates = $true }; Server = @{}; Run = @{}; Expect = 'DuplicateProcessed' }
        @{ Scenario = 'QueueOverflow'; Fault = @{ DropOnOverflow = $true }; Server = @{ QueueCapacity = 20; ResponseDelay = 0.002 }; Run = @{ TimeoutSec = 5 }; Expect = 'SilentDrop' }
        @{ Scenario = 'AgentStateConsistency'; Fault = @{ CorruptState = 1 }; Server = @{}; Run = @{ MessageCount = 30 }; Expect = 'StateCorrupted' }
        @{ Scenario = 'AgentStateConsistency'; Fault = @{ StaleState = 1 }; Server = @{}; Run = @{ MessageCount = 30 }; Expect = 'StateMismatch' }
        @{ Scenario = 'WebSocketStability'; Fault = @{ DisconnectAfter = 30 }; Server = @{}; Run = @{ TimeoutSec = 2 }; Expect = 'UnexpectedClose' }
        @{ Scenario = 'CrossAgentSync'; Fault = @{ NoStateUpdate = $true }; Server = @{}; Run = @{ MessageCount = 6 }; Expect = 'MissingStateUpdate' }
        @{ Scenario = 'CrossAgentSync'; Fault = @{ StaleState = 1 }; Server = @{}; Run = @{ MessageCount = 6 }; Expect = 'StaleView' }
        @{ Scenario = 'MultiUser'; Fault = @{ LeakState = $true }; Server = @{}; Run = @{ Users = 4; MessageCount = 20 }; Expect = 'StateLeak' }
        @{ Scenario = 'Benchmark'; Fault = @{ LatencyOutliers = 0.05; OutlierDelay = 0.3; Seed = 5 }; Server = @{}; Run = @{ MessageCount = 400; MaxLatency = 0.2 }; Expect = 'Latency' }
    )
    # Faults a scenario must report under their own name, not another's.
    $wrongCauseCases = @(
        @{ Scenario = 'BurstIdempotency'; Fault = @{ DuplicateReplies = 1 }; Run = @{ Bursts = 2 }; Expect = 'DuplicateReply'; NotExpect = @('DuplicateProcessed', 'ReplayNotMarked') }
        @{ Scenario = 'AgentStateConsistency'; Fault = @{ DropReplies = 0.2; Seed = 2 }; Run = @{ MessageCount = 30; TimeoutSec = 1 }; Expect = 'MissingReply'; NotExpect = @('StateMismatch', 'StateCorrupted') }
        @{ Scenario = 'WebSocketStability'; Fault = @{ DropReplies = 0.1; Seed = 2 }; Run = @{ Bursts = 2; TimeoutSec = 1 }; Expect = 'MissingReply'; NotExpect = @('UnexpectedClose', 'ReconnectFailed') }
        @{ Scenario = 'Sequential'; Fault = @{ DuplicateReplies = 0.05; Seed = 3 }; Run = @{}; Expect = 'DuplicateReply'; NotExpect = @('OutOfOrder', 'MissingReply') }
        @{ Scenario = 'MultiUser'; Fault = @{ DropReplies = 0.05; Seed = 3 }; Run = @{ Users = 4; MessageCount = 30; TimeoutSec = 1 }; Expect = 'MissingReply'; NotExpect = @('StateLeak') }
        @{ Scenario = 'MultiUser'; Fault = @{ DuplicateReplies = 0.1; Seed = 3 }; Run = @{ Users = 4; MessageCount = 30 }; Expect = 'DuplicateReply'; NotExpect = @('StateLeak') }
        @{ Scenario = 'BurstIdempotency'; Fault = @{ CorruptState = 1 }; Run = @{ Bursts = 2 }; Expect = 'StateCorrupted'; NotExpect = @('DuplicateProcessed') }
        @{ Scenario = 'CrossAgentSync'; Fault = @{ CorruptState = 1 }; Run = @{ MessageCount = 6 }; Expect = 'StateCorrupted'; NotExpect = @('StaleView', 'MissingStateUpdate') }
    )
}

BeforeAll {
    Import-Module RapidMessageTools -Force
    . (Join-Path $PSScriptRoot 'Support/BackgroundCommand.ps1')
    function Get-Code($result) { @($result.Violations | ForEach-Object Code) }
}

Describe 'Get-RapidScenario' -Tag 'Unit' {
    It 'lists the ten scenarios with descriptions and defaults' {
        $all = Get-RapidScenario
        $all.Name | Should -Be @('Sequential', 'BurstIdempotency', 'QueueOverflow', 'AgentStateConsistency', 'WebSocketStability', 'CrossAgentSync', 'MultiUser', 'Benchmark', 'Streaming', 'StreamCancel')
        $all | ForEach-Object { $_.Description | Should -Not -BeNullOrEmpty; $_.FailsWhen | Should -Not -BeNullOrEmpty; $_.Defaults | Should -Not -BeNullOrEmpty }
    }
    It 'filters by wildcard and reports an unknown name with a stable error id' {
        (Get-RapidScenario -Name 'Cross*').Name | Should -Be 'CrossAgentSync'
        Get-RapidScenario -Name 'Nope' -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ScenarioNotFound*'
    }
}

Describe 'Invoke-RapidScenario against a healthy mock' -Tag 'Integration' {
    BeforeAll {
        $server = Start-RapidMockServer
        # QueueOverflow needs a queue that can fill: a small one behind a slightly slow agent.
        $slow = Start-RapidMockServer -QueueCapacity 50 -ResponseDelay 0.002
        # Streaming and StreamCancel need replies that stream, long enough to be cancelled.
        $streaming = Start-RapidMockServer -StreamChunks 6 -ChunkInterval 0.005
    }
    AfterAll {
        $server, $slow, $streaming | Stop-RapidMockServer
    }

    It 'passes every scenario, three times over, with no false alarm' {
        $results = foreach ($round in 1..3) {
            Get-RapidScenario | Where-Object Name -notin 'QueueOverflow', 'Streaming', 'StreamCancel' | Invoke-RapidScenario -Url $server.Url
            Invoke-RapidScenario QueueOverflow -Url $slow.Url
            Invoke-RapidScenario Streaming, StreamCancel -Url $streaming.Url
        }
        $results | Should -HaveCount 30
        foreach ($r in $results) {
            $r.Passed | Should -BeTrue -Because "$($r.Scenario): $($r.Violations -join '; ')"
            $r.Lost | Should -Be 0
            $r.Sent | Should -BeGreaterThan 0
            $r.Delivered | Should -BeGreaterThan 0
        }
        ($results | Where-Object Scenario -eq 'QueueOverflow').OverflowProvoked | Should -Not -Contain $false
    }

    It 'accounts for every Sequential message and keeps a real histogram' {
        $r = Invoke-RapidScenario Sequential -Url $server.Url -MessageCount 300
        $r.Sent | Should -Be 300
        $r.Delivered | Should -Be 300
        $r.DeliveryRatio | Should -Be 1
        $r.Histogram.TotalCount | Should -Be 300
        $r.Latency.Count | Should -Be 300
        $r.Latency.P50 | Should -BeLessOrEqual $r.Latency.P99
        $r.Latency.P99 | Should -BeLessOrEqual $r.Latency.Max
        $r.ThroughputPerSec | Should -BeGreaterThan 0
    }

    It 'measures latency from the intended send time at a fixed rate' {
        $r = Invoke-RapidScenario Benchmark -Url $server.Url -Rate 500 -Duration 1 -Connections 2
        $r.Sent | Should -Be 500
        $r.Delivered | Should -Be 500
        $r.Latency.Count | Should -Be 500
        $r.ServiceLatency.Count | Should -Be 500
        $r.Latency.Mean | Should -BeGreaterOrEqual $r.ServiceLatency.Mean
    }

    It 'sends fixed-rate streams of several connections side by side, so the whole run keeps the rate' {
        # Not a speed test: 4,000 msg/s is a tenth of what this mock serves on 2 cores. With a send due
        # every millisecond per connection, the streams once ran one after another, so 4 connections
        # delivered a quarter of the rate and nothing noticed.
        $r = Invoke-RapidScenario Benchmark -Url $server.Url -Rate 4000 -Duration 1 -Connections 4
        $r.Sent | Should -Be 4000
        $r.Delivered | Should -Be 4000
        $r.ThroughputPerSec | Should -BeGreaterThan 2000 -Because 'sequential streams give about 1,000 msg/s'
    }

    It 'keeps the rate where nanosleep is missing (the Windows path: long sleeps, then yields)' {
        $saved = [RapidMessageTools.RapidTestHooks]::UseNanosleep
        try {
            [RapidMessageTools.RapidTestHooks]::UseNanosleep = $false
            $r = Invoke-RapidScenario Benchmark -Url $server.Url -Rate 4000 -Duration 1 -Connections 4
            $r.Delivered | Should -Be 4000
            $r.ThroughputPerSec | Should -BeGreaterThan 2000
            $slow = Invoke-RapidScenario Benchmark -Url $server.Url -Rate 40 -Duration 1 -Connections 2
            $slow.Delivered | Should -Be 40
            $slow.Sent | Should -Be 40
            # How late sends are on this path is a measurement (build.ps1 -Task Bench), not a test: on a
            # busy 2-core machine a yielding thread is late whatever the code does.
        }
        finally { [RapidMessageTools.RapidTestHooks]::UseNanosleep = $saved }
    }

    It 'round-trips a result through Export-Clixml and ConvertTo-Json' {
        $r = Invoke-RapidScenario Sequential -Url $server.Url -MessageCount 50
        $path = Join-Path $TestDrive 'r.xml'
        $r | Export-Clixml $path
        $back = Import-Clixml $path
        $back.Scenario | Should -Be 'Sequential'
        $back.Histogram.Encoded | Should -Be $r.Histogram.Encoded
        $back.Latency.P99 | Should -Be $r.Latency.P99
        $json = $r | ConvertTo-Json -Depth 6 | ConvertFrom-Json
        $json.Delivered | Should -Be 50
        $json.Histogram.TotalCount | Should -Be 50
    }

    It 'finds a running session mock when no -Url and no E2E_WEBSOCKET_URL is given' {
        $saved = $env:E2E_WEBSOCKET_URL
        try {
            Remove-Item Env:E2E_WEBSOCKET_URL -ErrorAction SilentlyContinue
            $r = Invoke-RapidScenario Sequential -MessageCount 10
            $r.Url | Should -Match '^ws://127\.0\.0\.1:\d+/ws$'
        }
        finally { $env:E2E_WEBSOCKET_URL = $saved }
    }

    It 'writes a trace file with every frame' {
        $trace = Join-Path $TestDrive 'trace.log'
        $null = Invoke-RapidScenario Sequential -Url $server.Url -MessageCount 5 -TraceFile $trace
        $lines = Get-Content $trace
        @($lines | Where-Object { $_ -match ' > .*"user_message"' }).Count | Should -Be 5
        @($lines | Where-Object { $_ -match ' < .*"ai_response"' }).Count | Should -Be 5
    }
}

Describe 'Each scenario catches its fault' -Tag 'Integration' {
    Context '<Scenario> with <Expect> injected' -ForEach $faultCases {
        BeforeAll {
            $server = Start-RapidMockServer -Fault $Fault @Server
        }
        AfterAll {
            $server | Stop-RapidMockServer
        }
        It 'fails, naming <Expect>' {
            $r = Invoke-RapidScenario $Scenario -Url $server.Url @Run
            $r.Passed | Should -BeFalse
            Get-Code $r | Should -Contain $Expect
        }
    }
}

Describe 'A scenario does not blame the wrong cause' -Tag 'Integration' {
    Context '<Scenario> under <Expect>' -ForEach $wrongCauseCases {
        BeforeAll {
            $server = Start-RapidMockServer -Fault $Fault
        }
        AfterAll {
            $server | Stop-RapidMockServer
        }
        It 'names <Expect> and not <NotExpect>' {
            $r = Invoke-RapidScenario $Scenario -Url $server.Url @Run
            $codes = Get-Code $r
            $codes | Should -Contain $Expect
            foreach ($wrong in $NotExpect) { $codes | Should -Not -Contain $wrong }
        }
    }
}

Describe 'Invoke-RapidScenario errors and thresholds' -Tag 'Integration' {
    BeforeAll {
        $server = Start-RapidMockServer
        $closed = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $closed.Start(); $closedPort = $closed.LocalEndpoint.Port; $closed.Stop()
    }
    AfterAll {
        $server | Stop-RapidMockServer
    }

    It 'is a terminating ConnectionError naming what to do when nothing listens' {
        { Invoke-RapidScenario Sequential -Url "ws://127.0.0.1:$closedPort/ws" -ConnectAttempts 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'ScenarioConnectFailed,RapidMessageTools.Commands.InvokeRapidScenarioCommand'
    }

    It 'is a PermissionDenied error when the server refuses the token' {
        $auth = Start-RapidMockServer -RequireAuth
        try {
            $e = { Invoke-RapidScenario Sequential -Url $auth.Url -Token 'not-a-token' -ErrorAction Stop } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeLike 'ScenarioAuthRefused*'
            $e.CategoryInfo.Category | Should -Be 'PermissionDenied'
        }
        finally { $auth | Stop-RapidMockServer }
    }

    It 'runs every user of MultiUser under its own identity against a token-protected mock' {
        $auth = Start-RapidMockServer -RequireAuth
        try {
            $token = Get-RapidTestToken -AuthServiceUrl $auth.BaseUrl -NoFallback
            $r = Invoke-RapidScenario MultiUser -Url $auth.Url -Token $token.Token -Users 3 -MessageCount 10
            $r.Passed | Should -BeTrue -Because ($r.Violations -join '; ')
            $r.Delivered | Should -Be 30
        }
        finally { $auth | Stop-RapidMockServer }
    }

    It 'turns a crossed threshold into Passed = false with a named violation, not an error' {
        $r = Invoke-RapidScenario Sequential -Url $server.Url -MessageCount 50 -MinThroughput 1e9
        $r.Passed | Should -BeFalse
        $v = $r.Violations | Where-Object Code -eq 'Throughput'
        $v.Limit | Should -Be 1e9
        $v.Value | Should -Be $r.ThroughputPerSec
    }

    It 'throws InvalidResult after writing the result with -ErrorOnFailure' {
        $out = $null
        $e = { Invoke-RapidScenario Sequential -Url $server.Url -MessageCount 20 -MinThroughput 1e9 -ErrorOnFailure -OutVariable script:out -ErrorAction Stop } | Should -Throw -PassThru
        $e.CategoryInfo.Category | Should -Be 'InvalidResult'
        $e.FullyQualifiedErrorId | Should -Be 'ScenarioNotPassed,RapidMessageTools.Commands.InvokeRapidScenarioCommand'
        $script:out[0].Scenario | Should -Be 'Sequential'
    }

    It 'takes thresholds from RAPID_TEST_* and warns on an unparsable one, keeping the default' {
        $saved = $env:RAPID_TEST_MIN_DELIVERY_RATIO
        try {
            $env:RAPID_TEST_MIN_DELIVERY_RATIO = 'lots'
            $r = Invoke-RapidScenario Sequential -Url $server.Url -MessageCount 10 -WarningVariable w -WarningAction SilentlyContinue
            $r.Thresholds.MinDeliveryRatio | Should -Be 1
            ($w -join ' ') | Should -Match 'RAPID_TEST_MIN_DELIVERY_RATIO'
            $env:RAPID_TEST_MIN_DELIVERY_RATIO = '0.5'
            (Invoke-RapidScenario Sequential -Url $server.Url -MessageCount 10).Thresholds.MinDeliveryRatio | Should -Be 0.5
        }
        finally { $env:RAPID_TEST_MIN_DELIVERY_RATIO = $saved }
    }

    It 'rejects a bad -Shard and an unknown -Threshold key' {
        { Invoke-RapidScenario Sequential -Url $server.Url -Shard '3/2' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidScenarioParameter*'
        { Invoke-RapidScenario Sequential -Url $server.Url -Threshold @{ Speed = 1 } -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidScenarioParameter*'
    }

    It 'stops within a second or two when the pipeline is stopped, leaving no connection open' {
        $slow = Start-RapidMockServer -ResponseDelay 0.05
        try {
            $job = Start-BackgroundCommand "Invoke-RapidScenario Sequential -Url '$($slow.Url)' -MessageCount 400"
            $deadline = [DateTime]::UtcNow.AddSeconds(5)
            while ($slow.Stats.ConnectionsOpen -lt 1 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
            Stop-BackgroundCommand $job | Should -BeLessThan 3
            $deadline = [DateTime]::UtcNow.AddSeconds(3)
            while ($slow.Stats.ConnectionsOpen -gt 0 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
            $slow.Stats.ConnectionsOpen | Should -Be 0
            Remove-BackgroundCommand $job
        }
        finally { $slow | Stop-RapidMockServer }
    }
}

Describe 'QueueOverflow from many connections of one user' -Tag 'Integration' {
    BeforeAll {
        Import-Module RapidMessageTools -Force
        . (Join-Path $PSScriptRoot 'Support/IndependentServer.ps1')
        $pythonProblem = Get-IndependentServerProblem
    }
    AfterAll { Stop-IndependentServer -All }

    It 'floods one agent from 100 connections at once: every message answered or rejected, the queue within capacity, and it recovers (<Server>)' -ForEach @(@{ Server = 'Mock' }, @{ Server = 'Python' }) {
        if ($Server -eq 'Python' -and $pythonProblem) { Set-ItResult -Skipped -Because $pythonProblem; return }
        $backend = if ($Server -eq 'Mock') { Start-RapidMockServer -QueueCapacity 50 -ResponseDelay 0.002 } else { Start-IndependentServer -QueueCapacity 50 -ResponseDelay 0.002 }
        try {
            $r = Invoke-RapidScenario QueueOverflow -Url $backend.Url -Connections 100
            $r.Outcome | Should -Be 'Passed' -Because ($r.Violations -join '; ')
            $r.OverflowProvoked | Should -BeTrue
            $r.Rejected | Should -BeGreaterThan 0
            $r.Lost | Should -Be 0
            ($r.Delivered + $r.Rejected) | Should -Be $r.Distinct
        }
        finally { if ($Server -eq 'Mock') { $backend | Stop-RapidMockServer } else { Stop-IndependentServer -All } }
    }

    It 'names the fault when the queue drops silently (mock) or messages are lost (Python), from 100 connections' -ForEach @(
        @{ Server = 'Mock'; Code = 'SilentDrop' }, @{ Server = 'Python'; Code = 'MissingReply' }
    ) {
        if ($Server -eq 'Python' -and $pythonProblem) { Set-ItResult -Skipped -Because $pythonProblem; return }
        $backend = if ($Server -eq 'Mock') { Start-RapidMockServer -QueueCapacity 50 -ResponseDelay 0.002 -Fault @{ DropOnOverflow = $true } } else { Start-IndependentServer -QueueCapacity 50 -ResponseDelay 0.002 -Fault 'drop-messages=0.05' }
        try {
            $r = Invoke-RapidScenario QueueOverflow -Url $backend.Url -Connections 100 -TimeoutSec 3
            $r.Outcome | Should -Be 'Failed'
            @($r.Violations.Code) | Should -Contain $Code -Because ($r.Violations -join '; ')
            @($r.Violations.Code) | Should -Not -Contain 'QueueOverCapacity'
        }
        finally { if ($Server -eq 'Mock') { $backend | Stop-RapidMockServer } else { Stop-IndependentServer -All } }
    }
}
