# Timelines (recording, merging, serialization), load stages and Poisson arrivals, and the live view.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'test helpers (New-*, Start-*, Remove-*) make test objects; -WhatIf has no meaning in a test')]
param()

BeforeAll {
    Import-Module RapidMessageTools -Force
    $script:f = [System.Diagnostics.Stopwatch]::Frequency
    # A timeline whose clock reads 00:00:00.300 UTC at Stopwatch time $t0.
    $script:t0 = [long]1000 * $f
    $script:utc = [datetime]::new(2026, 1, 1, 0, 0, 0, 300, [DateTimeKind]::Utc)
    function New-Timeline([double] $Interval = 1, [datetime] $Utc = $script:utc, [long] $At = $script:t0) {
        [RapidMessageTools.Metrics.RunTimeline]::new($Interval, [long]($script:f / 200), $Utc, $At)
    }
    # Stopwatch time $Seconds after the timeline's 00:00:00.000.
    function At([double] $Seconds) { [long]($script:t0 + ($Seconds - 0.3) * $script:f) }
}

Describe 'RunTimeline: a run interval by interval' -Tag 'Unit' {
    It 'counts each event in its wall-clock interval and keeps the latency of the replies that arrived in it' {
        $t = New-Timeline
        $t.RecordSend((At 0.4), (At 0.4))
        $t.RecordSend((At 0.9), (At 0.9))
        $t.RecordSend((At 1.5), (At 0.95))         # left 550 ms late: intended in 0, sent in 1
        $t.RecordReply((At 0.95), 1000)
        $t.RecordReply((At 1.2), 5000)
        $t.RecordReply((At 1.3), 7000)
        $t.RecordRejection((At 2.1))
        $t.RecordLost((At 0.9))
        $t.RecordError((At 2.5))
        $e = $t.ToEntries()
        $e.Count | Should -Be 3
        $e[0].Start | Should -Be ([datetime]::new(2026, 1, 1, 0, 0, 0, [DateTimeKind]::Utc))
        $e[1].Elapsed | Should -Be 1
        ($e.Sent -join ',') | Should -Be '2,1,0'
        ($e.Intended -join ',') | Should -Be '3,0,0'
        ($e.LateSends -join ',') | Should -Be '0,1,0'
        ($e.Delivered -join ',') | Should -Be '1,2,0'
        ($e.Rejected -join ',') | Should -Be '0,0,1'
        ($e.Lost -join ',') | Should -Be '1,0,0'
        ($e.Errors -join ',') | Should -Be '0,0,1'
        $e[0].P99 | Should -Be 1
        $e[1].P50 | Should -BeGreaterOrEqual 5      # HdrHistogram keeps 3 significant digits
        $e[1].P50 | Should -BeLessThan 5.01
        $e[1].Max | Should -BeGreaterOrEqual 7
        $e[1].Max | Should -BeLessThan 7.01
        $e[1].ToHistogram().TotalCount | Should -Be 2
        $e[2].EncodedHistogram | Should -BeNullOrEmpty
        $e[0].IntendedRate | Should -Be 3
    }

    It 'tracks the most connections open in each interval' {
        $t = New-Timeline
        $t.ConnectionOpened((At 0.1)); $t.ConnectionOpened((At 0.2))
        $t.RecordSend((At 0.5), (At 0.5))
        $t.ConnectionClosed((At 1.1))
        $t.RecordSend((At 1.5), (At 1.5))
        $t.RecordSend((At 3.5), (At 3.5))
        ($t.ToEntries().Connections -join ',') | Should -Be '2,2,1,1'
    }

    It 'merges shards exactly: the merge equals one timeline that recorded everything' {
        # Two shards whose clocks started at different moments, and one process doing the same work.
        $a = New-Timeline
        $b = New-Timeline -Utc $script:utc.AddSeconds(0.45) -At ($script:t0 + [long](0.45 * $f))
        $one = New-Timeline
        $rng = [System.Random]::new(7)
        $events = foreach ($i in 1..900) { [pscustomobject]@{ Sec = $rng.NextDouble() * 4 + 0.5; Micros = [long]$rng.Next(100, 200000); I = $i } }
        foreach ($ev in $events | Sort-Object Sec) {
            $shard = if ($ev.I % 3) { $a } else { $b }
            foreach ($tl in $shard, $one) {
                $tl.RecordSend((At ($ev.Sec - 0.2)), (At ($ev.Sec - 0.2)))
                $tl.RecordReply((At $ev.Sec), $ev.Micros)
                if ($ev.I % 97 -eq 0) { $tl.RecordRejection((At $ev.Sec)) }
            }
        }
        $merged = [RapidMessageTools.Metrics.RunTimeline]::Merge([RapidMessageTools.Metrics.RapidTimelineEntry[][]]@($a.ToEntries(), $b.ToEntries()))
        $single = $one.ToEntries()
        $merged.Count | Should -Be $single.Count
        for ($i = 0; $i -lt $single.Count; $i++) {
            foreach ($p in 'Start', 'Sent', 'Intended', 'Delivered', 'Rejected', 'P50', 'P90', 'P99', 'Max') {
                $merged[$i].$p | Should -Be $single[$i].$p -Because "entry $i $p"
            }
        }
    }

    It 'refuses to merge timelines of different intervals' {
        $a = New-Timeline -Interval 1; $a.RecordSend((At 0.5), (At 0.5))
        $b = New-Timeline -Interval 0.5; $b.RecordSend((At 0.5), (At 0.5))
        $err = { [RapidMessageTools.Metrics.RunTimeline]::Merge([RapidMessageTools.Metrics.RapidTimelineEntry[][]]@($a.ToEntries(), $b.ToEntries())) } |
            Should -Throw -PassThru
        $err.Exception.InnerException | Should -BeOfType ([System.ArgumentException])
    }

    It 'holds an hour of one-second intervals in a few MB' {
        $t = New-Timeline
        $before = [GC]::GetTotalMemory($true)
        # One reply per interval, latencies spread over three decades (build.ps1 -Task Bench measures a real load).
        for ($s = 0; $s -lt 3600; $s++) { $t.RecordReply([long]($script:t0 + ($s + 0.2) * $f), [long](500 * [math]::Pow(10, ($s % 30) / 10))) }
        $entries = $t.ToEntries()
        $grown = [GC]::GetTotalMemory($true) - $before
        $entries.Count | Should -Be 3600
        $grown | Should -BeLessThan 40MB
        [GC]::KeepAlive($t)
    }
}

Describe 'Timeline in results' -Tag 'Integration' {
    BeforeAll {
        $server = Start-RapidMockServer
    }
    AfterAll {
        $server | Stop-RapidMockServer
    }

    It 'a staged run carries its stages, sends what they hold and marks them on the timeline' {
        $r = Invoke-RapidScenario Benchmark -Url $server.Url -Connections 2 -Stage @{ Duration = 1; Rate = 200 }, @{ Duration = 1; RampTo = 600 } -TimelineInterval 0.5
        $r.Passed | Should -BeTrue -Because ($r.Violations -join '; ')
        $r.Sent | Should -Be 600          # 1 s at 200, then a ramp 200 -> 600 over 1 s (400)
        $r.Parameters.Stages.Count | Should -Be 2
        $r.Parameters.Stages[1].StartRate | Should -Be 200
        $r.Parameters.Stages[1].EndRate | Should -Be 600
        $r.TimelineInterval | Should -Be 0.5
        ($r.Timeline | Measure-Object Sent -Sum).Sum | Should -Be 600
        ($r.Timeline | Measure-Object Intended -Sum).Sum | Should -Be 600
        ($r.Timeline | Measure-Object Delivered -Sum).Sum | Should -Be $r.Delivered
        $r.Timeline.Stage | Should -Contain 1
        $r.Timeline.Stage | Should -Contain 2
        $r.Timeline | ForEach-Object { $_.ToHistogram().TotalCount | Should -Be $_.Delivered }
    }

    It 'Poisson arrivals with one seed send the same messages' {
        $one = Invoke-RapidScenario MultiUser -Url $server.Url -Users 3 -Rate 300 -Duration 1 -Arrival Poisson -Seed 42
        $two = Invoke-RapidScenario MultiUser -Url $server.Url -Users 3 -Rate 300 -Duration 1 -Arrival Poisson -Seed 42
        $one.Parameters.Seed | Should -Be 42
        $one.Parameters.Arrival | Should -Be 'Poisson'
        $one.Sent | Should -Be $two.Sent
        $one.Sent | Should -BeGreaterThan 200
        $one.Sent | Should -BeLessThan 400
        $one.Passed | Should -BeTrue -Because ($one.Violations -join '; ')
    }

    It 'survives Export-Clixml at its default depth, and a merge of the deserialized results keeps it exact' {
        $r = Invoke-RapidScenario Benchmark -Url $server.Url -Rate 400 -Duration 1 -Connections 2
        $path = Join-Path $TestDrive 'timeline.xml'
        $r | Export-Clixml $path
        $back = Import-Clixml $path
        $back.Timeline.Count | Should -Be $r.Timeline.Count
        $back.Timeline[1].EncodedHistogram | Should -Be $r.Timeline[1].EncodedHistogram
        $m = $back | Merge-RapidResult
        ($m.Timeline | Measure-Object Delivered -Sum).Sum | Should -Be $r.Delivered
        ($m.Timeline.P99 -join ',') | Should -Be ($r.Timeline.P99 -join ',')
    }

    It 'writes one verbose line per interval with -Verbose' {
        $out = Invoke-RapidScenario Benchmark -Url $server.Url -Connections 2 -Rate 200 -Duration 2.5 -TimelineInterval 0.5 -Verbose 4>&1
        $r = $out | Where-Object { $_ -is [RapidMessageTools.Results.RapidScenarioResult] }
        $lines = @($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match '^\+[\d.]+ s: sent \d+/s \(intended \d+/s, \d+ late\), delivered \d+/s, p50 [\d.]+ ms, p99 [\d.]+ ms, \d+ rejected, \d+ lost, \d+ errors, \d+ connections$' })
        $lines.Count | Should -BeGreaterOrEqual 2
        $lines.Count | Should -BeLessOrEqual $r.Timeline.Count
        ($lines.Message | Sort-Object -Unique).Count | Should -Be $lines.Count -Because 'each interval is written once'
    }

    It 'records no timeline with -TimelineInterval 0' {
        $r = Invoke-RapidScenario Sequential -Url $server.Url -MessageCount 50 -TimelineInterval 0
        $r.Timeline.Count | Should -Be 0
        $r.TimelineInterval | Should -Be 0
    }
}

Describe 'Bad load shapes' -Tag 'Unit' {
    BeforeAll {
        $server = Start-RapidMockServer
    }
    AfterAll {
        $server | Stop-RapidMockServer
    }

    It 'refuses a stage table <Case> with InvalidStage' -ForEach @(
        @{ Case = 'with an unknown key'; Stage = @(@{ Duration = 1; Rat = 5 }) }
        @{ Case = 'without Duration'; Stage = @(@{ Rate = 5 }) }
        @{ Case = 'without Rate or RampTo'; Stage = @(@{ Duration = 5 }) }
        @{ Case = 'with a value that is not a number'; Stage = @(@{ Duration = 'soon'; Rate = 5 }) }
        @{ Case = 'that sends nothing'; Stage = @(@{ Duration = 5; Rate = 0 }) }
    ) {
        { Invoke-RapidScenario Benchmark -Url $server.Url -Stage $Stage } | Should -Throw -ErrorId 'InvalidStage*'
    }

    It 'refuses <Case> with InvalidScenarioParameter' -ForEach @(
        @{ Case = '-Stage on a scenario with a fixed pattern'; Splat = @{ Name = 'Sequential'; Stage = @{ Duration = 1; Rate = 5 } } }
        @{ Case = '-Stage with -Rate'; Splat = @{ Name = 'Benchmark'; Stage = @{ Duration = 1; Rate = 5 }; Rate = 10 } }
        @{ Case = '-Arrival Poisson without a rate'; Splat = @{ Name = 'Benchmark'; Arrival = 'Poisson' } }
    ) {
        { Invoke-RapidScenario -Url $server.Url @Splat } | Should -Throw -ErrorId 'InvalidScenarioParameter*'
    }
}

Describe 'Invoke-RapidScenario help: the staged example' -Tag 'Integration' {
    It 'runs Example 5 verbatim' {
        $md = Get-Content (Join-Path $PSScriptRoot '../../help/Invoke-RapidScenario.md') -Raw
        $code = [regex]::Match($md, '### Example 5[^\n]*\n```powershell\n([\s\S]*?)\n```').Groups[1].Value
        $code | Should -Match '-Stage'
        $out = & ([scriptblock]::Create($code + "`n`$r"))
        $r = $out | Where-Object { $_ -is [RapidMessageTools.Results.RapidScenarioResult] }
        $r.Parameters.Stages.Count | Should -Be 2
        $r.Timeline.Stage | Should -Contain 2
        ($r.Timeline | Measure-Object Sent -Sum).Sum | Should -Be $r.Sent
    }
}
