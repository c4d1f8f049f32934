# The copyable Pester suite (RapidMessageSuccession.Tests.ps1) in real mode, run as a user runs it: in a
# fresh pwsh, against a backend that requires auth. It must test for real, or fail, or skip saying why;
# it must never go green having tested nothing.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
param()

BeforeAll {
    Import-Module RapidMessageTools -Force
    . (Join-Path $PSScriptRoot 'Helpers/TestServers.ps1')
    $script:suite = Join-Path $PSScriptRoot 'RapidMessageSuccession.Tests.ps1'
    $script:pester = (Get-Module Pester).Path

    # Runs the suite in a fresh pwsh with these environment variables; returns its counts and output.
    function Invoke-SuiteInRealMode {
        param([hashtable] $Environment)
        $saved = Save-RapidEnvironment
        try {
            foreach ($k in $Environment.Keys) { [Environment]::SetEnvironmentVariable($k, $Environment[$k]) }
            $script = "Import-Module '$pester'; `$r = Invoke-Pester -Path '$suite' -PassThru -Output Detailed; " +
                "'COUNTS {0} {1} {2} {3}' -f `$r.PassedCount, `$r.SkippedCount, `$r.FailedCount, (`$r.FailedBlocksCount + `$r.FailedContainersCount); exit `$r.FailedCount + `$r.FailedBlocksCount + `$r.FailedContainersCount"
            $output = & dotnet pwsh -NoProfile -NonInteractive -Command $script 2>&1 | Out-String
            $code = $LASTEXITCODE
        }
        finally { Restore-RapidEnvironment $saved }
        $counts = [regex]::Match($output, 'COUNTS (\d+) (\d+) (\d+) (\d+)')
        [pscustomobject]@{
            ExitCode = $code
            Passed   = [int] $counts.Groups[1].Value
            Skipped  = [int] $counts.Groups[2].Value
            Failed   = [int] $counts.Groups[3].Value + [int] $counts.Groups[4].Value
            Output   = $output
        }
    }
}

Describe 'The copyable suite in real mode' -Tag 'Integration', 'Slow' {
    BeforeAll {
        $server = Start-RapidMockServer -RequireAuth -QueueCapacity 50 -ResponseDelay 0.002
        $real = @{
            RAPID_MESSAGE_TEST_MODE = 'real'
            E2E_WEBSOCKET_URL       = $server.Url
            E2E_BACKEND_URL         = $server.BaseUrl
            E2E_AUTH_SERVICE_URL    = $server.BaseUrl
            SKIP_REAL_SERVICES      = $null
        }
    }
    AfterAll {
        $server | Stop-RapidMockServer
    }

    It 'fetches its token and runs every test against a backend that requires auth' {
        $before = $server.Stats.ConnectionsTotal
        $r = Invoke-SuiteInRealMode $real
        $r.Skipped | Should -Be 0 -Because $r.Output
        $r.Failed | Should -Be 0 -Because $r.Output
        $r.Passed | Should -Be 7
        $r.ExitCode | Should -Be 0
        $server.Stats.ConnectionsTotal | Should -BeGreaterThan $before -Because 'the tests really talked to the backend'
    }

    It 'fails the run when the backend is not ready' {
        $down = $real.Clone()
        $closed = Get-ClosedPort
        $down.E2E_WEBSOCKET_URL = "ws://127.0.0.1:$closed/ws"
        $down.E2E_BACKEND_URL = "http://127.0.0.1:$closed"
        $r = Invoke-SuiteInRealMode $down
        $r.Passed | Should -Be 0
        $r.ExitCode | Should -Not -Be 0
        $r.Failed | Should -BeGreaterThan 0
    }

    It 'skips, saying why, only when SKIP_REAL_SERVICES=true asks for it' {
        $down = $real.Clone()
        $closed = Get-ClosedPort
        $down.E2E_WEBSOCKET_URL = "ws://127.0.0.1:$closed/ws"
        $down.E2E_BACKEND_URL = "http://127.0.0.1:$closed"
        $down.SKIP_REAL_SERVICES = 'true'
        $r = Invoke-SuiteInRealMode $down
        $r.Skipped | Should -Be 7
        $r.Passed | Should -Be 0
        $r.Output | Should -BeLike '*SKIP_REAL_SERVICES=true and the backend is not ready*'
    }
}
