# The capacity search against a mock of known capacity, its input, help and serialization.
# The build's runner (tools/Invoke-ParallelPester.ps1) runs the short-step searches beside the rest:
# Shards: Part=ShortSteps,Rest
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
param(
    # ShortSteps: the 2-s step searches; Rest: the others; all when empty.
    [string] $Part
)

BeforeAll {
    Import-Module RapidMessageTools -Force
}

if (-not $Part -or $Part -eq 'ShortSteps') {
    Describe 'Find-RapidCapacity with short steps' -Tag 'Integration', 'Slow' {
        BeforeAll {
            . (Join-Path $PSScriptRoot 'Support/IndependentServer.ps1')
            $pythonProblem = Get-IndependentServerProblem
        }
        AfterAll { Stop-IndependentServer -All }

        # A rate past capacity builds a queue that a 2-s step ends before the latency limit notices; the search must
        # still break it (Backlog: delivered behind sent while the load ran) and land within 10 % of the capacity.
        It 'lands within 10 % of <Expected> msg/s with 2-s steps on <Server> (delay <Delay> s, jitter <Jitter> s)' -ForEach @(
            @{ Server = 'Mock'; Delay = 0.04; Jitter = 0; Expected = 250 }
            @{ Server = 'Mock'; Delay = 0.04; Jitter = 0.01; Expected = 222 }
            # The Python server adds up to 20 % to each delay (10 % on average).
            @{ Server = 'Python'; Delay = 0.04; Jitter = 0; Expected = 227 }
        ) {
            if ($Server -eq 'Python' -and $pythonProblem) { Set-ItResult -Skipped -Because $pythonProblem; return }
            $backend = if ($Server -eq 'Mock') { Start-RapidMockServer -ResponseDelay $Delay -ResponseJitter $Jitter } else { Start-IndependentServer -ResponseDelay $Delay }
            try {
                $c = Find-RapidCapacity -Url $backend.Url -Connections 10 -MaxLatency 0.5 -StartRate 60 -StepDuration 2 -WarningAction SilentlyContinue
            }
            finally { if ($Server -eq 'Mock') { $backend | Stop-RapidMockServer } else { Stop-IndependentServer -All } }
            $c.GeneratorLimited | Should -BeFalse -Because $c.Reason
            $c.HighestHeldRate | Should -BeGreaterOrEqual ($Expected * 0.9) -Because ($c.Steps | Out-String)
            $c.HighestHeldRate | Should -BeLessOrEqual ($Expected * 1.1) -Because ($c.Steps | Out-String)
            $c.BrokenBy | Should -BeIn 'Backlog', 'Latency'
            @($c.Steps | Where-Object BrokenBy -eq 'Backlog').Reason | Select-Object -First 1 | Should -BeLike '*delivered * msg/s of * sent*'
        }
    }
}

if (-not $Part -or $Part -eq 'Rest') {
    Describe 'Find-RapidCapacity on a mock of known capacity' -Tag 'Integration', 'Slow' {
        # Benchmark gives each connection its own user and agent; each agent has one worker that answers in
        # ResponseDelay, so N connections hold N / ResponseDelay msg/s.
        It 'lands within 15 % of <Agents> agents x <Delay> s = <Expected> msg/s' -ForEach @(
            # Rates a tenth of what the client sends on this machine, so a busy CI agent never makes the
            # generator the limit (the search would then rightly say so, and land nowhere near the answer).
            @{ Agents = 4; Delay = 0.04; Expected = 100 }
            @{ Agents = 4; Delay = 0.02; Expected = 200 }
            @{ Agents = 8; Delay = 0.02; Expected = 400 }
        ) {
            $server = Start-RapidMockServer -ResponseDelay $Delay
            try {
                $c = Find-RapidCapacity -Url $server.Url -Connections $Agents -MaxLatency ($Delay * 4) -StartRate ($Expected / 4) -StepDuration 1 -TimelineInterval 0.5
            }
            finally { $server | Stop-RapidMockServer }
            $c.GeneratorLimited | Should -BeFalse -Because $c.Reason
            $c.HighestHeldRate | Should -BeGreaterOrEqual ($Expected * 0.85) -Because ($c.Steps | Out-String)
            $c.HighestHeldRate | Should -BeLessOrEqual ($Expected * 1.15) -Because ($c.Steps | Out-String)
            $c.FirstBrokenRate | Should -BeGreaterThan $c.HighestHeldRate
            $c.BrokenBy | Should -BeIn 'Latency', 'Rejections', 'Backlog'
            $c.Steps.Count | Should -BeGreaterThan 2
            $c.Steps.Phase | Should -Contain 'narrow'
            ($c.Steps | Where-Object { $_.Held -and $_.Phase -ne 'warm-up' }).Rate | ForEach-Object { $_ | Should -BeLessOrEqual $c.HighestHeldRate }
            $c.Steps[0].Result.Timeline.Count | Should -BeGreaterThan 0
        }

        It 'says the generator could not go faster when the mock is faster than the client' {
            $server = Start-RapidMockServer -QueueCapacity 1000000
            try {
                # A mock with no delay takes whatever one client sends; the client falls behind first.
                $c = Find-RapidCapacity -Url $server.Url -Connections 2 -MaxLatency 5 -StartRate 5000 -Growth 4 -StepDuration 1 -MaxSteps 6 -WarningVariable warned -WarningAction SilentlyContinue
            }
            finally { $server | Stop-RapidMockServer }
            $c.GeneratorLimited | Should -BeTrue -Because ($c.Steps | Format-Table Rate, Held, BrokenBy, Reason, LateSends, Sent | Out-String)
            $c.BrokenBy | Should -Be 'Generator'
            $c.Reason | Should -BeLike 'the generator could not go faster*'
            $c.Steps[-1].BrokenBy | Should -Be 'Generator'
            # A generator that fell behind once may have met a stall: the step ran again and fell behind again.
            $c.Steps[-1].Phase | Should -BeLike '* (repeat)'
            $c.Steps[-2].BrokenBy | Should -Be 'Generator'
            $c.Steps[-2].Rate | Should -Be $c.Steps[-1].Rate
            $warned | Should -Not -BeNullOrEmpty
        }
    }

    Describe 'Find-RapidCapacity input' -Tag 'Unit' {
        BeforeAll {
            $server = Start-RapidMockServer
        }
        AfterAll {
            $server | Stop-RapidMockServer
        }

        It 'refuses -StartRate above -MaxRate with InvalidCapacitySearch' {
            { Find-RapidCapacity -Url $server.Url -StartRate 500 -MaxRate 100 } | Should -Throw -ErrorId 'InvalidCapacitySearch*'
        }

        It 'refuses a scenario that does not send at an arrival rate with InvalidCapacitySearch, naming those that do' {
            $err = { Find-RapidCapacity -Url $server.Url -Scenario Sequential } | Should -Throw -ErrorId 'InvalidCapacitySearch*' -PassThru
            $err.Exception.Message | Should -BeLike "*Benchmark*"
            $err.Exception.Message | Should -BeLike "*MultiUser*not 'Sequential'*"
        }

        It 'reports every rate held when the limit is never reached, without claiming a broken rate' {
            $c = Find-RapidCapacity -Url $server.Url -StartRate 50 -MaxRate 100 -StepDuration 0.5 -Connections 2
            $c.FirstBrokenRate | Should -BeNullOrEmpty -Because "$($c.BrokenBy): $($c.Reason)" 
            $c.BrokenBy | Should -Be 'None'
            $c.HighestHeldRate | Should -Be 100
            ($c.Steps | Where-Object Phase -ne 'warm-up').Rate | Should -Be @(50, 100)
            $c.Steps[0].Phase | Should -Be 'warm-up'
            $c.Reason | Should -BeLike 'every rate tried held*'
        }

        It 'resolves its limits as Invoke-RapidScenario does: a parameter, then -Threshold, then RAPID_TEST_*, each with its source' {
            $saved = [Environment]::GetEnvironmentVariable('RAPID_TEST_MAX_LATENCY')
            try {
                $env:RAPID_TEST_MAX_LATENCY = '7'
                $c = Find-RapidCapacity -Url $server.Url -StartRate 50 -MaxRate 50 -StepDuration 0.3 -Connections 1 -Threshold @{ MinDeliveryRatio = 0.9 }
                $c.Limits.MaxLatency | Should -Be 7
                $c.Limits.Sources['MaxLatency'] | Should -Be 'Environment'
                $c.Limits.MinDeliveryRatio | Should -Be 0.9
                $c.Limits.Sources['MinDeliveryRatio'] | Should -Be 'Threshold'
                $c.Limits.Sources['LatencyPercentile'] | Should -Be 'Default'

                $p = Find-RapidCapacity -Url $server.Url -StartRate 50 -MaxRate 50 -StepDuration 0.3 -Connections 1 -MaxLatency 3 -Threshold @{ MaxLatency = 5 }
                $p.Limits.MaxLatency | Should -Be 3
                $p.Limits.Sources['MaxLatency'] | Should -Be 'Parameter'
            }
            finally {
                [Environment]::SetEnvironmentVariable('RAPID_TEST_MAX_LATENCY', $saved)
            }
        }
    }

    Describe 'Find-RapidCapacity help' -Tag 'Integration', 'Slow' {
        It 'runs Example 1 verbatim, and it finds what it says' {
            $md = Get-Content (Join-Path $PSScriptRoot '../../help/Find-RapidCapacity.md') -Raw
            $code = [regex]::Match($md, '### Example 1[^\n]*\n```powershell\n([\s\S]*?)\n```').Groups[1].Value
            $code | Should -Not -BeNullOrEmpty
            $before = @(Get-RapidMockServer).Count
            $out = & ([scriptblock]::Create($code))
            $c = $out | Where-Object { $_ -is [RapidMessageTools.Capacity.RapidCapacityResult] }
            $c.HighestHeldRate | Should -BeGreaterOrEqual 212 -Because 'ten agents of 40 ms hold about 250 msg/s'
            $c.HighestHeldRate | Should -BeLessOrEqual 288
            @(Get-RapidMockServer).Count | Should -Be $before -Because 'the example stops its mock'
        }
    }

    Describe 'Find-RapidCapacity result through a job''s serialization' -Tag 'Integration' {
        BeforeAll {
            $server = Start-RapidMockServer
        }
        AfterAll {
            $server | Stop-RapidMockServer
        }

        It 'carries its steps, their results and timelines as data at depth 1' {
            $c = Find-RapidCapacity -Url $server.Url -StartRate 50 -MaxRate 100 -StepDuration 0.5 -Connections 2 -Arrival Poisson -Seed 5
            $back = [Management.Automation.PSSerializer]::Deserialize([Management.Automation.PSSerializer]::Serialize($c, 1))
            # What broke the search depends on the machine (a busy one can break it by Generator); the copy must say the same.
            $back.BrokenBy | Should -Be $c.BrokenBy.ToString()
            $back.Arrival | Should -Be 'Poisson'
            $back.Steps.Count | Should -Be $c.Steps.Count
            $back.Steps[1].Result.Timeline.Count | Should -Be $c.Steps[1].Result.Timeline.Count
            $back.Steps[1].Result.Timeline[0].EncodedHistogram | Should -Be $c.Steps[1].Result.Timeline[0].EncodedHistogram
            $back.Steps[1].Result.Parameters.Arrival | Should -Be 'Poisson'
        }
    }
}
