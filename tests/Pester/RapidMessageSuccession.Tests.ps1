<#
    The report's rapid message succession suite, as Pester tests on the RapidMessageTools cmdlets.
    Copy this file to start your own.

    Mock mode (default): a mock backend is started for the run and stopped afterwards.
    Real mode: set RAPID_MESSAGE_TEST_MODE=real and E2E_WEBSOCKET_URL (E2E_BACKEND_URL,
    E2E_AUTH_SERVICE_URL). The suite fetches a test user's token from the auth service, checks that the
    backend is ready with it, and fails the run when it is not - unless SKIP_REAL_SERVICES=true, in which
    case every test is skipped with the reason. A green run always means the backend was tested.
#>
BeforeAll {
    Import-Module RapidMessageTools -Force

    # How hard QueueOverflow floods: raise MessageCount until your backend answers queue_full
    # (a run that never overflows is Inconclusive, and this suite fails it, saying so).
    $script:FloodSettings = @{ MessageCount = 2000 }

    $script:RealMode = $env:RAPID_MESSAGE_TEST_MODE -eq 'real'
    $script:SkipReason = $null
    if ($RealMode) {
        $script:Target = @{ Url = $env:E2E_WEBSOCKET_URL }
        $token = $null
        try { $token = Get-RapidTestToken -Mode Real -NoFallback -ErrorAction Stop }
        catch { Write-Warning "No test token ($($_.Exception.Message)); testing without one." }
        if ($token) { $script:Target.Token = $token.Token }
        $report = Test-RapidEnvironment -Mode Real -IncludeTokenCheck:([bool] $token)
        if (-not $report.IsReady) {
            if ($env:SKIP_REAL_SERVICES -eq 'true') { $script:SkipReason = "SKIP_REAL_SERVICES=true and the backend is not ready: $($report.Reason)" }
            else { throw "The real backend is not ready: $($report.Reason) Fix it, or set SKIP_REAL_SERVICES=true to skip these tests." }
        }
    }
    else {
        # A small queue behind a 2 ms agent, so queue overflow is really provoked.
        $script:Mock = Start-RapidMockServer -QueueCapacity 50 -ResponseDelay 0.002
        $script:Target = @{ Url = $Mock.Url }
        $script:FloodSettings = @{}
    }
}

AfterAll {
    if ($script:Mock) { $script:Mock | Stop-RapidMockServer }
}

Describe 'Rapid message succession' -Tag 'Integration', 'Suite' {
    BeforeEach {
        if ($script:SkipReason) { Set-ItResult -Skipped -Because $script:SkipReason }
    }

    It 'processes sequential messages in rapid succession, in order, exactly once' {
        $r = Invoke-RapidScenario Sequential @Target -MessageCount 200
        $r.Passed | Should -BeTrue -Because ($r.Violations -join '; ')
        $r.Delivered | Should -Be 200
    }

    It 'enforces idempotency for bursts of repeated message ids' {
        $r = Invoke-RapidScenario BurstIdempotency @Target
        $r.Passed | Should -BeTrue -Because ($r.Violations -join '; ')
    }

    It 'applies backpressure on queue overflow and recovers' {
        $r = Invoke-RapidScenario QueueOverflow @Target @FloodSettings
        $r.Passed | Should -BeTrue -Because ($r.Violations -join '; ')
        $r.OverflowProvoked | Should -BeTrue -Because 'the flood must really overflow the queue'
        $r.Lost | Should -Be 0
    }

    It 'keeps agent state consistent under rapid updates' {
        $r = Invoke-RapidScenario AgentStateConsistency @Target
        $r.Passed | Should -BeTrue -Because ($r.Violations -join '; ')
    }

    It 'keeps the WebSocket stable through message bursts' {
        $r = Invoke-RapidScenario WebSocketStability @Target
        $r.Passed | Should -BeTrue -Because ($r.Violations -join '; ')
        $r.ConnectionDrops | Should -Be 0
    }

    It 'synchronizes agent state across connections' {
        $r = Invoke-RapidScenario CrossAgentSync @Target
        $r.Passed | Should -BeTrue -Because ($r.Violations -join '; ')
    }

    It 'meets the performance benchmark' {
        # Thresholds: parameters here, else RAPID_TEST_* variables, else defaults.
        $r = Invoke-RapidScenario Benchmark @Target -MessageCount 2000
        $r.Passed | Should -BeTrue -Because ($r.Violations -join '; ')
        $r.DeliveryRatio | Should -Be 1
    }
}
