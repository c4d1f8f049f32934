[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'test helpers (New-*, Start-*, Remove-*) make test objects; -WhatIf has no meaning in a test')]
param()

BeforeAll {
    Import-Module RapidMessageTools -Force

    function New-TestResult {
        param([long[]] $Micros, [string] $Shard, [datetime] $From, [double] $Seconds, [long] $Lost = 0)
        $h = [RapidMessageTools.Metrics.LatencyHistogram]::new()
        foreach ($m in $Micros) { $h.RecordMicroseconds($m) }
        $r = [RapidMessageTools.Results.RapidScenarioResult]::new()
        $r.Scenario = 'Benchmark'
        $r.Passed = $true
        $r.Sent = $Micros.Count + $Lost
        $r.Distinct = $Micros.Count + $Lost
        $r.Accepted = $Micros.Count + $Lost
        $r.Delivered = $Micros.Count
        $r.Lost = $Lost
        $r.Histogram = $h.Export()
        $r.ServiceHistogram = $h.Export()
        $r.Latency = $h.Summarize()
        $r.Shard = $Shard
        $r.StartTime = $From
        $r.WindowStart = $From
        $r.WindowEnd = $From.AddSeconds($Seconds)
        $r.Duration = $Seconds
        $r.Thresholds = [RapidMessageTools.Results.RapidThresholds]::new()
        $r
    }
}

Describe 'Merge-RapidResult' -Tag 'Unit' {
    BeforeAll {
        $t0 = [datetime]::new(2026, 1, 1, 0, 0, 0, [DateTimeKind]::Utc)
        $a = New-TestResult -Micros (1..1000) -Shard '1/2' -From $t0 -Seconds 1
        $b = New-TestResult -Micros (1001..3000) -Shard '2/2' -From $t0.AddSeconds(0.5) -Seconds 1.5 -Lost 5
        $all = [RapidMessageTools.Metrics.LatencyHistogram]::new()
        foreach ($m in 1..3000) { $all.RecordMicroseconds($m) }
        $expected = $all.Summarize()
    }

    It 'adds histograms exactly: the merge equals one histogram of every value' {
        $m = $a, $b | Merge-RapidResult
        $m.Histogram.TotalCount | Should -Be 3000
        $m.Latency.Count | Should -Be 3000
        foreach ($p in 'P50', 'P90', 'P99', 'P999', 'Max', 'Mean') { $m.Latency.$p | Should -Be $expected.$p -Because $p }
    }

    It 'sums counters and measures throughput over the union of the windows' {
        $m = Merge-RapidResult -InputObject $a, $b
        $m.Sent | Should -Be 3005
        $m.Delivered | Should -Be 3000
        $m.Lost | Should -Be 5
        $m.ThroughputPerSec | Should -Be 1500    # 3000 delivered over 2 s (0 to 2 s)
        $m.DeliveryRatio | Should -Be ([math]::Round(3000 / 3005, 6))
        $m.Shard | Should -Be '1,2/2'
    }

    It 'judges thresholds on the merged figures' {
        $b.Thresholds.MinDeliveryRatio = 1
        $a.Thresholds.MinDeliveryRatio = 1
        $m = $a, $b | Merge-RapidResult
        $m.Passed | Should -BeFalse
        $m.Violations.Code | Should -Contain 'DeliveryRatio'
    }

    It 'accepts results deserialized by Import-Clixml' {
        $path = Join-Path $TestDrive 'shards.xml'
        $a, $b | Export-Clixml $path
        $m = Import-Clixml $path | Merge-RapidResult
        $m.Histogram.TotalCount | Should -Be 3000
        $m.Latency.P99 | Should -Be $expected.P99
    }

    It 'refuses what is not a result with a stable error id' {
        'nope' | Merge-RapidResult -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'NotAScenarioResult*'
    }
}

Describe 'Sharded runs in separate processes' -Tag 'Integration', 'Slow' {
    BeforeAll {
        $server = Start-RapidMockServer
        $root = Resolve-Path (Join-Path $PSScriptRoot '../..')
    }
    AfterAll {
        $server | Stop-RapidMockServer
    }

    It 'three pwsh processes, merged, account for the same load as one process' {
        $shards = 3
        $procs = foreach ($i in 1..$shards) {
            $out = Join-Path $TestDrive "shard$i.xml"
            $cmd = "Import-Module RapidMessageTools; Invoke-RapidScenario Benchmark -Url '$($server.Url)' -MessageCount 3000 -Connections 3 -Shard $i/$shards | Export-Clixml '$out'"
            $psi = [Diagnostics.ProcessStartInfo]::new('dotnet')
            foreach ($arg in 'pwsh', '-NoProfile', '-NonInteractive', '-Command', $cmd) { $psi.ArgumentList.Add($arg) }
            $psi.WorkingDirectory = $root
            $psi.UseShellExecute = $false
            [Diagnostics.Process]::Start($psi)
        }
        foreach ($p in $procs) {
            if (-not $p.WaitForExit(120000)) { $p.Kill(); throw 'A shard process did not finish in 120 s.' }
            $p.ExitCode | Should -Be 0
        }
        $parts = 1..$shards | ForEach-Object { Import-Clixml (Join-Path $TestDrive "shard$_.xml") }
        $parts | ForEach-Object { $_.Sent | Should -Be 1000 }
        # Shards never collide: every shard's messages were answered to that shard alone.
        $parts | ForEach-Object { $_.UnmatchedFrames | Should -Be 0 }
        $merged = $parts | Merge-RapidResult
        $single = Invoke-RapidScenario Benchmark -Url $server.Url -MessageCount 3000 -Connections 3

        $merged.Sent | Should -Be $single.Sent
        $merged.Delivered | Should -Be $single.Delivered
        $merged.Lost | Should -Be 0
        $merged.Histogram.TotalCount | Should -Be $single.Histogram.TotalCount
        $merged.Passed | Should -BeTrue -Because ($merged.Violations -join '; ')

        # Timelines: aligned on the clock, counts summed, each interval's percentiles from the shards' merged histograms.
        ($merged.Timeline | Measure-Object Sent -Sum).Sum | Should -Be ($single.Timeline | Measure-Object Sent -Sum).Sum
        ($merged.Timeline | Measure-Object Delivered -Sum).Sum | Should -Be ($single.Timeline | Measure-Object Delivered -Sum).Sum
        foreach ($e in $merged.Timeline) {
            $e.ToHistogram().TotalCount | Should -Be $e.Delivered
            $same = @($parts.Timeline | Where-Object Start -eq $e.Start)
            # An interval no shard has (shards that started seconds apart leave a gap on the common clock) is empty.
            $e.Sent | Should -Be ([long] ($same | Measure-Object Sent -Sum).Sum)
            if ($e.Delivered -gt 0) {
                $e.P99 | Should -Be ([RapidMessageTools.Metrics.RapidHistogram]::Merge([RapidMessageTools.Metrics.RapidHistogram[]]@($same | Where-Object Delivered -gt 0 | ForEach-Object { [RapidMessageTools.Metrics.RapidHistogram]::new($_.EncodedHistogram, $_.Delivered) })).Summarize().P99)
            }
        }
    }
}
