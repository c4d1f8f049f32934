# A verdict is the product: a run that proved nothing is never Passed, a rejection outside QueueOverflow
# is a failure to deliver, Ctrl+C keeps the partial result, and an expired token is caught before the run.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'test helpers (New-*, Start-*, Remove-*) make test objects; -WhatIf has no meaning in a test')]
param()

BeforeAll {
    Import-Module RapidMessageTools -Force
    . (Join-Path $PSScriptRoot 'Support/TestServers.ps1')
    . (Join-Path $PSScriptRoot 'Support/BackgroundCommand.ps1')
    . (Join-Path $PSScriptRoot 'Support/Wait.ps1')

    # An HS256-shaped JWT whose exp is an hour past (unsigned: only its claims matter here).
    function New-ExpiredJwt {
        $b64 = { param($s) [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($s)).TrimEnd('=').Replace('+', '-').Replace('/', '_') }
        $exp = [DateTimeOffset]::UtcNow.AddHours(-1).ToUnixTimeSeconds()
        (& $b64 '{"alg":"HS256","typ":"JWT"}') + '.' + (& $b64 "{`"sub`":`"u-expired`",`"exp`":$exp}") + '.c2ln'
    }
}

Describe 'Outcome' -Tag 'Integration' {
    BeforeAll {
        $fast = Start-RapidMockServer
        $slow = Start-RapidMockServer -ResponseDelay 0.02 -QueueCapacity 10
    }
    AfterAll {
        $fast, $slow | Stop-RapidMockServer
    }

    It 'QueueOverflow that never filled the queue is Inconclusive, not Passed, and says what to change' {
        $r = Invoke-RapidScenario QueueOverflow -Url $fast.Url -MessageCount 20
        $r.OverflowProvoked | Should -BeFalse
        $r.Outcome | Should -Be 'Inconclusive'
        $r.Passed | Should -BeFalse
        @($r.Violations.Code) | Should -Be @('NotProvoked')
        $r.Violations[0].Message | Should -BeLike '*-MessageCount*'
    }

    It 'QueueOverflow that overflowed is Passed, its ratio over accepted messages' {
        $r = Invoke-RapidScenario QueueOverflow -Url $slow.Url
        $r.Outcome | Should -Be 'Passed' -Because ($r.Violations -join '; ')
        $r.Rejected | Should -BeGreaterThan 0
        $r.RejectionsExpected | Should -BeTrue
        $r.Accepted | Should -Be ($r.Distinct - $r.Rejected)
        $r.DeliveryRatio | Should -Be 1
    }

    It 'outside QueueOverflow, rejections count against delivery and the default limits fail the run' {
        $r = Invoke-RapidScenario Benchmark -Url $slow.Url -Rate 2000 -Duration 0.5 -Connections 2 -TimeoutSec 5
        $r.Rejected | Should -BeGreaterThan 0 -Because 'a queue of 10 drained at 50 msg/s cannot take 2,000 msg/s'
        $r.RejectionsExpected | Should -BeFalse
        $r.DeliveryRatio | Should -Be ([math]::Round($r.Delivered / $r.Distinct, 6))
        $r.DeliveryRatio | Should -BeLessThan 1
        $r.Outcome | Should -Be 'Failed'
        $v = $r.Violations | Where-Object Code -EQ 'DeliveryRatio'
        $v | Should -Not -BeNullOrEmpty
        $v.Message | Should -BeLike '*rejected*'
    }

    It 'tells distinct messages from repeats, so a passing BurstIdempotency does not read like loss' {
        $r = Invoke-RapidScenario BurstIdempotency -Url $fast.Url
        $r.Outcome | Should -Be 'Passed' -Because ($r.Violations -join '; ')
        $r.Sent | Should -BeGreaterThan $r.Distinct
        $r.Delivered | Should -Be $r.Distinct
        $r.Accepted | Should -Be $r.Distinct
        "$r" | Should -BeLike "*$($r.Delivered)/$($r.Distinct) delivered*"
    }

    It 'merges outcomes: an Inconclusive shard stays Inconclusive, never Passed' {
        $a = Invoke-RapidScenario QueueOverflow -Url $fast.Url -MessageCount 10 -Shard 1/2
        $b = Invoke-RapidScenario QueueOverflow -Url $fast.Url -MessageCount 10 -Shard 2/2
        $m = $a, $b | Merge-RapidResult
        $m.Outcome | Should -Be 'Inconclusive'
        $m.Passed | Should -BeFalse
    }

    # The second case: PowerShell marks the pipeline stopping before it calls StopProcessing, and a write from then on
    # throws; the hook holds each wait step's writes until the stop, so the stop lands on a write every time, not by
    # chance. It stops past the first second (30 replies), so the step the stop releases writes progress.
    It 'Ctrl+C keeps the partial result, Interrupted and not Passed, in $RapidInterruptedResult (<Case>)' -ForEach @(
        @{ Case = 'while the cmdlet waits'; HoldWrites = $false; Processed = 5 }
        @{ Case = 'while the cmdlet writes its progress'; HoldWrites = $true; Processed = 30 }
    ) {
        $lazy = Start-RapidMockServer -ResponseDelay 0.05
        $job = $null
        [RapidMessageTools.RapidTestHooks]::HoldCmdletWritesUntilStopped = $HoldWrites
        try {
            $job = Start-BackgroundCommand "Invoke-RapidScenario Sequential -Url '$($lazy.Url)' -MessageCount 400"
            Wait-Condition { $lazy.Stats.Processed -ge $Processed } -TimeoutSec 60 | Should -BeTrue -Because 'Ctrl+C must come once the run is under way'
            $null = Stop-BackgroundCommand $job
            $partial = $job.PowerShell.Runspace.SessionStateProxy.GetVariable('RapidInterruptedResult')
            $partial | Should -Not -BeNullOrEmpty
            $partial.Outcome | Should -Be 'Interrupted'
            $partial.Passed | Should -BeFalse
            $partial.Sent | Should -BeGreaterThan 0
            $partial.Sent | Should -BeLessThan 400
            @($partial.Violations.Code) | Should -Contain 'Interrupted'
        }
        finally {
            [RapidMessageTools.RapidTestHooks]::HoldCmdletWritesUntilStopped = $false
            Remove-BackgroundCommand $job
            $lazy | Stop-RapidMockServer
        }
    }
}

Describe 'Bad input says what to do' -Tag 'Integration' {
    BeforeAll {
        $server = Start-RapidMockServer
    }
    AfterAll {
        $server | Stop-RapidMockServer
    }

    It '-Duration 0 is refused rather than silently running the default count' {
        { Invoke-RapidScenario Benchmark -Url $server.Url -Rate 100 -Duration 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,RapidMessageTools.Commands.InvokeRapidScenarioCommand'
    }

    It '-Duration without -Rate is refused, naming -Rate' {
        $err = { Invoke-RapidScenario Benchmark -Url $server.Url -Duration 2 } | Should -Throw -ErrorId 'InvalidScenarioParameter,RapidMessageTools.Commands.InvokeRapidScenarioCommand' -PassThru
        $err.Exception.Message | Should -BeLike '*-Rate*'
    }

    It 'Export-RapidReport refuses an extension that names no format instead of writing HTML under it' {
        $r = Invoke-RapidScenario Sequential -Url $server.Url -MessageCount 5
        $pdf = Join-Path $TestDrive 'r.pdf'
        { $r | Export-RapidReport -Path $pdf } | Should -Throw -ErrorId 'ReportFormatUnknown,RapidMessageTools.Commands.ExportRapidReportCommand'
        Test-Path $pdf | Should -BeFalse
        ($r | Export-RapidReport -Path $pdf -Format Html).Name | Should -Be 'r.pdf'
    }

    It '-ListenAddress that is not an address says so, not "choose another port"' {
        $err = { Start-RapidMockServer -ListenAddress 999.1.1.1 } | Should -Throw -ErrorId 'InvalidMockOption,RapidMessageTools.Commands.StartRapidMockServerCommand' -PassThru
        $err.Exception.Message | Should -BeLike '*not a valid IPv4 address*'
    }
}

Describe 'Expired tokens' -Tag 'Integration' {
    BeforeAll {
        $expired = New-ExpiredJwt
        $body = @{ user_id = 'u-expired'; token = $expired; email = 'e@example.com' } | ConvertTo-Json -Compress
        $auth = [RapidTestHelpers.CannedHttpServer]::new(200, 'application/json', $body)
        $server = Start-RapidMockServer -RequireAuth
    }
    AfterAll {
        $auth.Dispose()
        $server | Stop-RapidMockServer
    }

    It 'Get-RapidTestToken marks the token expired and warns' {
        $t = Get-RapidTestToken -AuthServiceUrl $auth.BaseUrl -NoFallback -WarningVariable w -WarningAction SilentlyContinue
        $t.Source | Should -Be 'Real'
        $t.IsExpired | Should -BeTrue
        "$w" | Should -BeLike '*expired*'
    }

    It 'Test-RapidEnvironment -IncludeTokenCheck is not ready, naming TokenExpired' {
        $r = Test-RapidEnvironment -Mode Real -Url $server.Url -BackendUrl $server.BaseUrl -AuthServiceUrl $auth.BaseUrl -IncludeTokenCheck -TimeoutSec 3
        $r.IsReady | Should -BeFalse
        ($r.Services | Where-Object Name -EQ 'TestToken').ErrorKind | Should -Be 'TokenExpired'
    }

    It 'Invoke-RapidScenario refuses an expired -Token before the run' {
        { Invoke-RapidScenario Sequential -Url $server.Url -Token $expired } | Should -Throw -ErrorId 'TokenExpired,RapidMessageTools.Commands.InvokeRapidScenarioCommand'
        $server.Stats.ConnectionsTotal | Should -Be 0
    }

    It 'in real mode, a refused token gets real-mode advice, not "start the mock"' {
        $saved = $env:RAPID_MESSAGE_TEST_MODE
        try {
            $env:RAPID_MESSAGE_TEST_MODE = 'real'
            $err = { Invoke-RapidScenario Sequential -Url $server.Url -Token 'not-a-token' -ConnectAttempts 1 } | Should -Throw -ErrorId 'ScenarioAuthRefused,RapidMessageTools.Commands.InvokeRapidScenarioCommand' -PassThru
            $err.Exception.Message | Should -Not -BeLike '*mock*'
            $err.Exception.Message | Should -BeLike '*Get-RapidTestToken*'
        }
        finally { $env:RAPID_MESSAGE_TEST_MODE = $saved }
    }
}
