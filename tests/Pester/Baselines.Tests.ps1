# Baselines: the result file (save and load without loss, bad files named), the noise-aware comparison proven on
# synthetic histograms (a real regression caught, noise not, thin samples not judged), and -Baseline on the run cmdlets.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'test helpers (New-*) make test objects; -WhatIf has no meaning in a test')]
param()

BeforeAll {
    Import-Module RapidMessageTools -Force

    # Latencies (microseconds) drawn from a log-normal distribution with a fixed seed: the same seed gives the same samples.
    function New-LatencySample {
        param([int] $Count, [int] $Seed, [double] $Scale = 1.0, [double] $MedianMicros = 5000)
        $random = [Random]::new($Seed)
        $values = [long[]]::new($Count)
        for ($i = 0; $i -lt $Count; $i++) {
            $u1 = 1.0 - $random.NextDouble(); $u2 = $random.NextDouble()
            $z = [math]::Sqrt(-2 * [math]::Log($u1)) * [math]::Cos(2 * [math]::PI * $u2)
            $values[$i] = [long] ($MedianMicros * $Scale * [math]::Exp(0.4 * $z))
        }
        , $values
    }

    function New-Histogram([long[]] $Micros) {
        $h = [RapidMessageTools.Metrics.LatencyHistogram]::new()
        foreach ($m in $Micros) { $h.RecordMicroseconds($m) }
        $h
    }

    function New-SyntheticResult {
        param([long[]] $Micros, [string] $Scenario = 'Benchmark', [int] $MessageCount = 0, [double] $Throughput = 1000,
            [long] $Delivered = -1, [long] $Rejected = 0, [long] $Memory = 0, [long[]] $FirstChunk, [long[]] $Gaps)
        $h = New-Histogram $Micros
        $r = [RapidMessageTools.Results.RapidScenarioResult]::new()
        $r.Scenario = $Scenario
        $r.Outcome = 'Passed'; $r.Passed = $true
        $n = [long] $Micros.Count
        $r.Sent = $n; $r.Distinct = $n; $r.Rejected = $Rejected; $r.Accepted = $n - $Rejected
        $r.Delivered = if ($Delivered -ge 0) { $Delivered } else { $n - $Rejected }
        $r.Lost = $n - $r.Delivered - $Rejected
        $r.DeliveryRatio = $r.Delivered / $n
        $r.ThroughputPerSec = $Throughput
        $r.MemoryGrowthBytes = $Memory
        $r.Histogram = $h.Export(); $r.ServiceHistogram = $h.Export(); $r.Latency = $h.Summarize(); $r.ServiceLatency = $h.Summarize()
        if ($FirstChunk) { $f = New-Histogram $FirstChunk; $r.FirstChunkHistogram = $f.Export(); $r.FirstChunkLatency = $f.Summarize() }
        if ($Gaps) { $g = New-Histogram $Gaps; $r.ChunkGapHistogram = $g.Export(); $r.ChunkGap = $g.Summarize() }
        $r.Parameters.MessageCount = if ($MessageCount) { $MessageCount } else { $Micros.Count }
        $r.Parameters.Connections = 4
        $r.StartTime = [datetime]::new(2026, 1, 1, 0, 0, 0, [DateTimeKind]::Utc)
        $r
    }

    function Invoke-Judge($Current, [object[]] $Baseline, [hashtable] $Tolerance) {
        $t = [RapidMessageTools.Baselines.ToleranceTable]::Resolve($Tolerance, [Func[string, string]] { $null }, [Collections.Generic.List[string]]::new())
        $rows = [RapidMessageTools.Baselines.ResultComparer]::JudgeScenario($Current, [RapidMessageTools.Results.RapidScenarioResult[]] @($Baseline), $t)
        $byMetric = @{}
        foreach ($row in $rows) { $byMetric[$row.Metric] = $row }
        $byMetric
    }

    function New-Capacity([double] $Held, $Broken, [switch] $GeneratorLimited) {
        $c = [RapidMessageTools.Capacity.RapidCapacityResult]::new()
        $c.Scenario = 'Benchmark'; $c.HighestHeldRate = $Held; $c.FirstBrokenRate = $Broken; $c.GeneratorLimited = [bool] $GeneratorLimited
        $c.Connections = 4; $c.StepDuration = 1
        $c
    }
}

Describe 'NoiseRules' -Tag 'Unit' {
    It 'needs 10 samples beyond a percentile: p99 1000, p95 200, p50 20' {
        [RapidMessageTools.Baselines.NoiseRules]::SamplesNeeded(0.99) | Should -Be 1000
        [RapidMessageTools.Baselines.NoiseRules]::SamplesNeeded(0.95) | Should -Be 200
        [RapidMessageTools.Baselines.NoiseRules]::SamplesNeeded(0.5) | Should -Be 20
        [RapidMessageTools.Baselines.NoiseRules]::SamplesBeyond(999, 0.99) | Should -Be 9
        [RapidMessageTools.Baselines.NoiseRules]::SamplesBeyond(1000, 0.99) | Should -Be 10
    }

    It 'gives the order-statistic interval of a quantile: ranks n*q -+ z*sqrt(n*q*(1-q)) looked up in the histogram' {
        # 1..10000 microseconds, one each: p99 = 9900; sqrt(10000 * .99 * .01) = 9.95, * 2.576 = 25.6, so ranks 9874 and 9926.
        $h = New-Histogram (1..10000)
        $interval = [RapidMessageTools.Baselines.NoiseRules]::QuantileInterval($h.RecordedValues(), 0.99, 2.576)
        $interval.Item1 | Should -BeGreaterOrEqual 9864 -Because 'the histogram keeps 3 significant digits'
        $interval.Item1 | Should -BeLessOrEqual 9884
        $interval.Item2 | Should -BeGreaterOrEqual 9916
        $interval.Item2 | Should -BeLessOrEqual 9936
    }

    It 'computes the two-proportion z statistic (pooled)' {
        # 950/1000 against 1000/1000: pooled 0.975, se = sqrt(.975 * .025 * .002) = 0.006982, z = -7.16.
        [math]::Round([RapidMessageTools.Baselines.NoiseRules]::TwoProportionZ(950, 1000, 1000, 1000), 2) | Should -Be -7.16
        [RapidMessageTools.Baselines.NoiseRules]::TwoProportionZ(1000, 1000, 1000, 1000) | Should -Be 0
    }

    It 'takes the median and, leaving out the farthest tenth of the runs, the largest distance from it as the spread' {
        [RapidMessageTools.Baselines.NoiseRules]::Median([double[]] (10, 12, 11, 30, 9)) | Should -Be 11
        [RapidMessageTools.Baselines.NoiseRules]::Spread([double[]] (10, 12, 11)) | Should -Be 1
        [RapidMessageTools.Baselines.NoiseRules]::Spread([double[]] (10, 12, 11, 30, 9)) | Should -Be 19 -Because 'five runs leave none out: a disturbed run is part of the noise'
        $leftOut = $null
        [RapidMessageTools.Baselines.NoiseRules]::Spread([double[]] (10, 12, 11, 30, 9, 10, 11, 12, 11, 10), [ref] $leftOut) | Should -Be 2
        $leftOut | Should -Be @(30)
        foreach ($n in @{ Runs = 3; Out = 0 }, @{ Runs = 9; Out = 0 }, @{ Runs = 10; Out = 1 }, @{ Runs = 19; Out = 1 }, @{ Runs = 20; Out = 2 }) {
            [RapidMessageTools.Baselines.NoiseRules]::LeftOutOf($n.Runs) | Should -Be $n.Out
        }
    }
}

Describe 'Comparing latency percentiles' -Tag 'Unit' {
    BeforeAll {
        $baseline = New-SyntheticResult -Micros (New-LatencySample -Count 5000 -Seed 1)
    }

    It 'calls a 20 % slower distribution with enough samples Regressed on p50, p95 and p99 (one baseline run: intervals)' {
        $slower = New-SyntheticResult -Micros (New-LatencySample -Count 5000 -Seed 2 -Scale 1.2)
        $rows = Invoke-Judge $slower @($baseline)
        foreach ($m in 'LatencyP50', 'LatencyP95', 'LatencyP99') {
            $rows[$m].Verdict | Should -Be 'Regressed' -Because "$m : $($rows[$m].Reason)"
            $rows[$m].Change | Should -BeGreaterThan 0.1
        }
        $rows['LatencyP99'].Reason | Should -Match 'do not overlap'
    }

    It 'calls the same distribution drawn again Unchanged on every latency metric, with the default and a tight tolerance' {
        foreach ($seed in 2..6) {
            $same = New-SyntheticResult -Micros (New-LatencySample -Count 5000 -Seed $seed)
            foreach ($tolerance in @{}, @{ LatencyP50 = 0; LatencyP95 = 0; LatencyP99 = 0 }) {
                $rows = Invoke-Judge $same @($baseline) $tolerance
                foreach ($m in 'LatencyP50', 'LatencyP95', 'LatencyP99') {
                    $rows[$m].Verdict | Should -Be 'Unchanged' -Because "seed $seed, $m : $($rows[$m].Reason)"
                }
            }
        }
    }

    It 'calls a 20 % slower distribution Regressed against 3 runs by their spread, and a redraw Unchanged' {
        $runs = foreach ($seed in 11..13) { New-SyntheticResult -Micros (New-LatencySample -Count 5000 -Seed $seed) }
        $slower = Invoke-Judge (New-SyntheticResult -Micros (New-LatencySample -Count 5000 -Seed 20 -Scale 1.2)) $runs
        $slower['LatencyP50'].Verdict | Should -Be 'Regressed' -Because $slower['LatencyP50'].Reason
        $slower['LatencyP50'].BaselineRuns | Should -Be 3
        $slower['LatencyP50'].Reason | Should -Match 'spread of the 3 baseline runs'
        $same = Invoke-Judge (New-SyntheticResult -Micros (New-LatencySample -Count 5000 -Seed 21)) $runs
        foreach ($m in 'LatencyP50', 'LatencyP95', 'LatencyP99') { $same[$m].Verdict | Should -Be 'Unchanged' -Because $same[$m].Reason }
    }

    It 'does not call a p99 beyond the runs'' spread Regressed while its samples'' intervals overlap, and calls it when they do not' {
        # Three identical baseline runs of 1,200 replies: p99 26 ms, no spread at all.
        $runs = foreach ($i in 1..3) { New-SyntheticResult -Micros (@(20000) * 1176 + @(26000) * 24) }
        # 12 samples beyond p99, half of them slower: p99 30 ms (+15 %), but the interval reaches down to 26 ms.
        $tail = Invoke-Judge (New-SyntheticResult -Micros (@(20000) * 1176 + @(26000) * 6 + @(30000) * 18)) $runs
        $tail['LatencyP99'].Verdict | Should -Be 'Unchanged' -Because $tail['LatencyP99'].Reason
        $tail['LatencyP99'].Reason | Should -Match 'exceeds 2 × the spread of the 3 baseline runs'
        $tail['LatencyP99'].Reason | Should -Match 'intervals of p99 overlap'
        # Every sample of the tail slower: the interval clears the baseline's, so it is a regression.
        $slower = Invoke-Judge (New-SyntheticResult -Micros (@(20000) * 1176 + @(30000) * 24)) $runs
        $slower['LatencyP99'].Verdict | Should -Be 'Regressed' -Because $slower['LatencyP99'].Reason
        $slower['LatencyP99'].Reason | Should -Match 'do not overlap'
    }

    It 'calls a faster distribution Improved' {
        $rows = Invoke-Judge (New-SyntheticResult -Micros (New-LatencySample -Count 5000 -Seed 3 -Scale 0.7)) @($baseline)
        $rows['LatencyP50'].Verdict | Should -Be 'Improved' -Because $rows['LatencyP50'].Reason
    }

    It 'does not judge a p99 from 500 messages, saying what it rests on and what it needs, but judges its p50' {
        $small = New-SyntheticResult -Micros (New-LatencySample -Count 500 -Seed 4 -Scale 2)
        $rows = Invoke-Judge $small @($baseline)
        $rows['LatencyP99'].Verdict | Should -Be 'NotJudged'
        $rows['LatencyP99'].Reason | Should -Match '5 sample\(s\) beyond it \(500 measured\)'
        $rows['LatencyP99'].Reason | Should -Match '1000 samples'
        $rows['LatencyP50'].Verdict | Should -Be 'Regressed' -Because 'p50 of 500 has 250 samples beyond it'
    }

    It 'does not judge the maximum (one sample), but shows both values' {
        $rows = Invoke-Judge (New-SyntheticResult -Micros (New-LatencySample -Count 5000 -Seed 5 -Scale 3)) @($baseline)
        $rows['LatencyMax'].Verdict | Should -Be 'NotJudged'
        $rows['LatencyMax'].Current | Should -BeGreaterThan $rows['LatencyMax'].Baseline
    }

    It 'judges first-chunk latency and chunk gaps (p99) when replies streamed' {
        $b = New-SyntheticResult -Micros (New-LatencySample -Count 2000 -Seed 1) -FirstChunk (New-LatencySample -Count 2000 -Seed 7) -Gaps (New-LatencySample -Count 4000 -Seed 8 -MedianMicros 500)
        $c = New-SyntheticResult -Micros (New-LatencySample -Count 2000 -Seed 2) -FirstChunk (New-LatencySample -Count 2000 -Seed 9 -Scale 1.5) -Gaps (New-LatencySample -Count 4000 -Seed 10 -MedianMicros 500)
        $rows = Invoke-Judge $c @($b)
        $rows['FirstChunkLatency'].Verdict | Should -Be 'Regressed' -Because $rows['FirstChunkLatency'].Reason
        $rows['ChunkGap'].Verdict | Should -Be 'Unchanged' -Because $rows['ChunkGap'].Reason
        (Invoke-Judge $baseline @($baseline)).ContainsKey('FirstChunkLatency') | Should -BeFalse -Because 'a run without streams has no such row'
    }
}

Describe 'Comparing throughput, shares, memory and capacity' -Tag 'Unit' {
    BeforeAll {
        $micros = New-LatencySample -Count 2000 -Seed 1
        $runs = foreach ($t in 1000, 1010, 990) { New-SyntheticResult -Micros $micros -Throughput $t }
    }

    It 'calls a 20 % throughput drop Regressed and a 1.5 % one Unchanged against 3 runs' {
        (Invoke-Judge (New-SyntheticResult -Micros $micros -Throughput 800) $runs)['Throughput'].Verdict | Should -Be 'Regressed'
        (Invoke-Judge (New-SyntheticResult -Micros $micros -Throughput 985) $runs)['Throughput'].Verdict | Should -Be 'Unchanged'
    }

    It 'does not judge throughput or memory growth against fewer than 3 runs: one figure per run has no noise of its own' {
        $rows = Invoke-Judge (New-SyntheticResult -Micros $micros -Throughput 500 -Memory 50MB) @($runs[0], $runs[1])
        $rows['Throughput'].Verdict | Should -Be 'NotJudged'
        $rows['Throughput'].Reason | Should -Match 'the baseline has 2'
        $rows['MemoryGrowth'].Verdict | Should -Be 'NotJudged'
    }

    It 'calls a drop within the runs'' spread Unchanged even beyond the tolerance' {
        $noisy = foreach ($t in 1000, 1300, 700) { New-SyntheticResult -Micros $micros -Throughput $t }
        $row = (Invoke-Judge (New-SyntheticResult -Micros $micros -Throughput 800) $noisy)['Throughput']
        $row.Verdict | Should -Be 'Unchanged'
        $row.Reason | Should -Match 'within the noise'
    }

    It 'does not let one disturbed run of ten hide a 20 % drop, and names the run it left out' {
        $disturbed = foreach ($t in 1000, 1010, 990, 1005, 995, 1002, 998, 1008, 992, 400) { New-SyntheticResult -Micros $micros -Throughput $t }
        $row = (Invoke-Judge (New-SyntheticResult -Micros $micros -Throughput 800) $disturbed)['Throughput']
        $row.Verdict | Should -Be 'Regressed' -Because $row.Reason
        $row.Reason | Should -Match 'leaving out the farthest run \(400\)'
        $fewer = foreach ($t in 1000, 1010, 990, 1005, 400) { New-SyntheticResult -Micros $micros -Throughput $t }
        $row = (Invoke-Judge (New-SyntheticResult -Micros $micros -Throughput 800) $fewer)['Throughput']
        $row.Verdict | Should -Be 'Unchanged' -Because 'one run of five as far off as the drop is their noise: nothing is left out of fewer than ten'
        $row.Reason | Should -Match 'within the noise'
    }

    It 'calls 95 % delivered against 100 % Regressed (two-proportion test), and 99.9 % Unchanged' {
        $bad = Invoke-Judge (New-SyntheticResult -Micros $micros -Delivered 1900) @($runs[0])
        $bad['DeliveryRatio'].Verdict | Should -Be 'Regressed' -Because $bad['DeliveryRatio'].Reason
        $bad['DeliveryRatio'].ChangeIsAbsolute | Should -BeTrue
        $bad['DeliveryRatio'].ChangeText | Should -Be '-5 pt'
        (Invoke-Judge (New-SyntheticResult -Micros $micros -Delivered 1998) @($runs[0]))['DeliveryRatio'].Verdict | Should -Be 'Unchanged'
    }

    It 'calls a rejected share up from 0 to 10 % Regressed' {
        $rows = Invoke-Judge (New-SyntheticResult -Micros $micros -Rejected 200) @($runs[0])
        $rows['RejectedShare'].Verdict | Should -Be 'Regressed' -Because $rows['RejectedShare'].Reason
    }

    It 'judges memory growth relative to at least 1 MiB' {
        $b = foreach ($m in 100KB, 120KB, 110KB) { New-SyntheticResult -Micros $micros -Memory $m }
        (Invoke-Judge (New-SyntheticResult -Micros $micros -Memory 300KB) $b)['MemoryGrowth'].Verdict | Should -Be 'Unchanged' -Because 'under 1 MiB * 0.5'
        (Invoke-Judge (New-SyntheticResult -Micros $micros -Memory 5MB) $b)['MemoryGrowth'].Verdict | Should -Be 'Regressed'
    }

    It 'calls a capacity Regressed only when the search broke at a rate the baseline held' {
        $t = [RapidMessageTools.Baselines.RapidTolerances]::Defaults()
        $base = [RapidMessageTools.Capacity.RapidCapacityResult[]] @(New-Capacity 1000 1100)
        [RapidMessageTools.Baselines.ResultComparer]::JudgeCapacity((New-Capacity 800 880), $base, $t).Verdict | Should -Be 'Regressed'
        [RapidMessageTools.Baselines.ResultComparer]::JudgeCapacity((New-Capacity 1000 1100), $base, $t).Verdict | Should -Be 'Unchanged'
        [RapidMessageTools.Baselines.ResultComparer]::JudgeCapacity((New-Capacity 1400 1500), $base, $t).Verdict | Should -Be 'Improved'
        [RapidMessageTools.Baselines.ResultComparer]::JudgeCapacity((New-Capacity 500 $null -GeneratorLimited), $base, $t).Verdict | Should -Be 'NotJudged'
    }
}

Describe 'Compare-RapidResult' -Tag 'Unit' {
    BeforeAll {
        $baseline = New-SyntheticResult -Micros (New-LatencySample -Count 5000 -Seed 1)
    }

    It 'returns typed rows, Regressed where the current run is slower' {
        $rows = @(New-SyntheticResult -Micros (New-LatencySample -Count 5000 -Seed 2 -Scale 1.3) | Compare-RapidResult -Baseline $baseline)
        $rows[0] | Should -BeOfType ([RapidMessageTools.Baselines.RapidComparison])
        ($rows | Where-Object Metric -eq 'LatencyP99').Verdict | Should -Be 'Regressed'
        $rows.Metric | Should -Contain 'Throughput'
        $rows.Metric | Should -Contain 'MemoryGrowth'
    }

    It 'shows what regressed in a table at 80 columns' {
        $rows = New-SyntheticResult -Micros (New-LatencySample -Count 5000 -Seed 2 -Scale 1.3) | Compare-RapidResult -Baseline $baseline
        $lines = @(($rows | Format-Table | Out-String -Width 80) -split "`r?`n" | Where-Object { $_ -match 'LatencyP99' })
        $lines[0] | Should -Match 'Regressed'
        $lines[0].Length | Should -BeLessOrEqual 80
    }

    It 'refuses a baseline with another load shape, naming the difference, and writes no rows for it' {
        $other = New-SyntheticResult -Micros (New-LatencySample -Count 5000 -Seed 2) -MessageCount 9999
        $rows = @($other | Compare-RapidResult -Baseline $baseline -ErrorVariable failed -ErrorAction SilentlyContinue)
        $rows | Should -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'BaselineNotComparable*'
        $failed[0].Exception.Message | Should -Match 'MessageCount 5000 in the baseline, 9999 now'
    }

    It 'gives NoBaseline rows and a warning for a scenario the baseline has no run of' {
        $other = New-SyntheticResult -Micros (New-LatencySample -Count 5000 -Seed 2) -Scenario 'MultiUser'
        $rows = @($other | Compare-RapidResult -Baseline $baseline -WarningVariable warned -WarningAction SilentlyContinue)
        $rows.Verdict | Sort-Object -Unique | Should -Be 'NoBaseline'
        ($warned -join ' ') | Should -Match 'holds Benchmark'
    }

    It 'gives NoBaseline rows and a warning when the baseline file does not exist yet' {
        $rows = @($baseline | Compare-RapidResult -Baseline (Join-Path $TestDrive 'none.json') -WarningVariable warned -WarningAction SilentlyContinue)
        $rows.Verdict | Sort-Object -Unique | Should -Be 'NoBaseline'
        ($warned -join ' ') | Should -Match 'does not exist yet'
    }

    It 'takes tolerances from a key, then RAPID_TEST_TOLERANCE_*, then the default' {
        $slower = New-SyntheticResult -Micros (New-LatencySample -Count 5000 -Seed 2 -Scale 1.3)
        $saved = $env:RAPID_TEST_TOLERANCE_LATENCY_P99
        try {
            $env:RAPID_TEST_TOLERANCE_LATENCY_P99 = '0.5'
            $row = $slower | Compare-RapidResult -Baseline $baseline | Where-Object Metric -eq 'LatencyP99'
            $row.Tolerance | Should -Be 0.5
            $row.Verdict | Should -Be 'Unchanged'
            $row = $slower | Compare-RapidResult -Baseline $baseline -Tolerance @{ LatencyP99 = 0.05 } | Where-Object Metric -eq 'LatencyP99'
            $row.Tolerance | Should -Be 0.05
            $row.Verdict | Should -Be 'Regressed'
            $env:RAPID_TEST_TOLERANCE_LATENCY_P99 = 'lots'
            $row = $slower | Compare-RapidResult -Baseline $baseline -WarningVariable warned -WarningAction SilentlyContinue | Where-Object Metric -eq 'LatencyP99'
            $row.Tolerance | Should -Be 0.1
            ($warned -join ' ') | Should -Match 'RAPID_TEST_TOLERANCE_LATENCY_P99'
        }
        finally { $env:RAPID_TEST_TOLERANCE_LATENCY_P99 = $saved }
    }

    It 'refuses an unknown -Tolerance key with InvalidTolerance' {
        { $baseline | Compare-RapidResult -Baseline $baseline -Tolerance @{ Speed = 1 } -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidTolerance,RapidMessageTools.Commands.CompareRapidResultCommand' -ExpectedMessage '*Speed*LatencyP99*'
    }

    It 'needs a baseline: -Baseline or RAPID_TEST_BASELINE' {
        $saved = $env:RAPID_TEST_BASELINE
        try {
            $env:RAPID_TEST_BASELINE = $null
            { $baseline | Compare-RapidResult -ErrorAction Stop } | Should -Throw -ErrorId 'NoBaselineGiven,RapidMessageTools.Commands.CompareRapidResultCommand'
        }
        finally { $env:RAPID_TEST_BASELINE = $saved }
    }
}

Describe 'Reports of a comparison (Export-RapidReport of Compare-RapidResult''s rows)' -Tag 'Unit' {
    BeforeAll {
        $runs = 1, 3, 4 | ForEach-Object { New-SyntheticResult -Micros (New-LatencySample -Count 5000 -Seed $_) -Throughput (1000 + $_) }
        $out = Join-Path ([IO.Path]::GetTempPath()) "rapid-comparison-report-$PID"
        New-Item -ItemType Directory -Path $out -Force | Out-Null
        # Slower latencies and a higher throughput: Regressed and Improved rows in one comparison.
        $mixed = @(New-SyntheticResult -Micros (New-LatencySample -Count 5000 -Seed 2 -Scale 1.3) -Throughput 1300 | Compare-RapidResult -Baseline $runs)
        # The same distribution drawn again and the same throughput: nothing Regressed.
        $steady = @(New-SyntheticResult -Micros (New-LatencySample -Count 5000 -Seed 2) -Throughput 1002 | Compare-RapidResult -Baseline $runs)

        function Read-JUnit([string] $Path) { [xml] (Get-Content -LiteralPath $Path -Raw) }
        function Get-TableRow([string] $Path) { @(Get-Content -LiteralPath $Path | Where-Object { $_ -match '^\| (❌ |✅ )?(Regressed|Improved|Unchanged|NotJudged|NoBaseline) \| ' }) }
    }
    AfterAll { Remove-Item -LiteralPath $out -Recurse -Force -ErrorAction SilentlyContinue }

    It 'has what the tests below need: Regressed and Improved rows in one comparison, none Regressed in the other' {
        $mixed.Verdict | Should -Contain 'Regressed'
        $mixed.Verdict | Should -Contain 'Improved'
        $steady.Verdict | Should -Not -Contain 'Regressed'
    }

    It 'writes JUnit with one testcase per compared metric, a failure for each Regressed one naming the metric and both values' {
        $file = $mixed | Export-RapidReport -Path "$out/mixed.xml" -Force
        $file | Should -BeOfType ([IO.FileInfo])
        $x = Read-JUnit $file.FullName
        $cases = @($x.testsuites.testsuite.testcase)
        $cases.Count | Should -Be $mixed.Count
        ($cases.name | Sort-Object) | Should -Be ($mixed.Metric | Sort-Object)
        $regressed = @($mixed | Where-Object Verdict -eq 'Regressed')
        [int] $x.testsuites.failures | Should -Be $regressed.Count
        $failed = @($cases | Where-Object { $_.failure })
        ($failed.name | Sort-Object) | Should -Be ($regressed.Metric | Sort-Object)
        $p99 = $mixed | Where-Object Metric -eq 'LatencyP99'
        $failure = ($cases | Where-Object name -eq 'LatencyP99').failure
        $failure.type | Should -Be 'Regression'
        $failure.message | Should -Match '^Benchmark LatencyP99 regressed: '
        $failure.message | Should -Match ([regex]::Escape(('{0:0.###} ms in the baseline' -f $p99.Baseline).Replace(',', '.')))
        $failure.message | Should -Match ([regex]::Escape(('{0:0.###} ms now' -f $p99.Current).Replace(',', '.')))
        ($cases | Where-Object name -eq 'Throughput').failure | Should -BeNullOrEmpty
    }

    It 'writes JUnit with every testcase passing when nothing Regressed' {
        $x = Read-JUnit ($steady | Export-RapidReport -Path "$out/steady.xml" -Force).FullName
        @($x.testsuites.testsuite.testcase).Count | Should -Be $steady.Count
        [int] $x.testsuites.failures | Should -Be 0
        $x.SelectNodes('//failure').Count | Should -Be 0
    }

    It 'writes a Markdown table of what Regressed first, then Improved, with the reason, then the rest' {
        $file = $mixed | Export-RapidReport -Path "$out/mixed.md" -Force
        $text = Get-Content -LiteralPath $file.FullName -Raw
        $regressed = @($mixed | Where-Object Verdict -eq 'Regressed')
        $improved = @($mixed | Where-Object Verdict -eq 'Improved')
        $text | Should -Match "regressed"
        $text | Should -Match ('❌ {0} metrics? regressed, {1} improved, of {2} metrics compared' -f $regressed.Count, $improved.Count, $mixed.Count)
        $rows = Get-TableRow $file.FullName
        $rows.Count | Should -Be $mixed.Count
        $verdicts = $rows | ForEach-Object { ($_ -split ' \| ')[0] -replace '^\| (❌ |✅ )?', '' }
        $verdicts[0..($regressed.Count - 1)] | Should -Be (@('Regressed') * $regressed.Count)
        $verdicts[$regressed.Count..($regressed.Count + $improved.Count - 1)] | Should -Be (@('Improved') * $improved.Count)
        $p99 = $mixed | Where-Object Metric -eq 'LatencyP99'
        $row = $rows | Where-Object { $_ -match '\| LatencyP99 \|' }
        $row | Should -Match '^\| ❌ Regressed \| Benchmark \| LatencyP99 \| '
        $row | Should -Match ([regex]::Escape($p99.ChangeText))
        $row | Should -Match ([regex]::Escape(($p99.Reason -replace '\|', '\|')))
    }

    It 'writes a Markdown summary saying no regression when nothing Regressed' {
        $file = $steady | Export-RapidReport -Path "$out/steady.md" -Force
        $text = Get-Content -LiteralPath $file.FullName -Raw
        $text | Should -Match '✅ no regression'
        $text | Should -Not -Match '❌'
        (Get-TableRow $file.FullName).Count | Should -Be $steady.Count
    }

    It 'reports deserialized rows (Import-Clixml) like live ones' {
        $mixed | Export-Clixml "$out/rows.xml"
        $x = Read-JUnit (Import-Clixml "$out/rows.xml" | Export-RapidReport -Path "$out/from-clixml.xml" -Force).FullName
        [int] $x.testsuites.failures | Should -Be @($mixed | Where-Object Verdict -eq 'Regressed').Count
        @($x.testsuites.testsuite.testcase).Count | Should -Be $mixed.Count
    }

    It 'refuses <Case> with ReportComparisonFormat' -ForEach @(
        @{ Case = 'an HTML report of comparison rows'; Name = 'rows.html'; WithResult = $false }
        @{ Case = 'results and comparison rows piped together'; Name = 'both.md'; WithResult = $true }
    ) {
        $items = @($mixed)
        if ($WithResult) { $items += New-SyntheticResult -Micros (New-LatencySample -Count 100 -Seed 9) }
        { $items | Export-RapidReport -Path (Join-Path $out $Name) -Force } |
            Should -Throw -ErrorId 'ReportComparisonFormat,RapidMessageTools.Commands.ExportRapidReportCommand'
        Join-Path $out $Name | Should -Not -Exist
    }
}

Describe 'The result file' -Tag 'Unit' {
    BeforeAll {
        $result = New-SyntheticResult -Micros (New-LatencySample -Count 3000 -Seed 1) -FirstChunk (New-LatencySample -Count 3000 -Seed 2) -Gaps (New-LatencySample -Count 6000 -Seed 3)
        $entry = [RapidMessageTools.Metrics.RapidTimelineEntry]::new()
        $entry.Elapsed = 1; $entry.Sent = 7; $entry.Delivered = 5; $entry.P99 = 12.5
        $entry.EncodedHistogram = (New-Histogram (1000, 2000, 3000, 4000, 5000)).Export().Encoded
        $result.Timeline = @($entry); $result.TimelineInterval = 1
        $result.Violations = @([RapidMessageTools.Results.RapidViolation]::new('Latency', 'too slow', 'Latency.P99', 1, 2))
        $result.Thresholds.Sources['MaxLatency'] = 'Parameter'
        $result.Parameters.Stages = @([RapidMessageTools.Load.RapidLoadStage]::new(10, 100, 200))
        $capacity = New-Capacity 1000 1100
        $capacity.Steps = @([RapidMessageTools.Capacity.RapidCapacityStep]@{ Step = 1; Rate = 1000; Held = $true; Result = $result })
        $file = Join-Path $TestDrive 'saved.json'
        $result, $capacity | Export-RapidResult -Path $file | Out-Null
        $loaded = @(Import-RapidResult $file)
    }

    It 'is documented JSON with SchemaVersion and Kind' {
        $json = Get-Content $file -Raw | ConvertFrom-Json
        $json.SchemaVersion | Should -Be 1
        $json.Kind | Should -Be 'RapidMessageTools.Results'
        $json.Results.Kind | Should -Be @('ScenarioResult', 'CapacityResult')
        $json.Results[0].PSObject.Properties.Name | Should -Contain 'Protocol'
    }

    It 'loads a result equal to the saved one in every property' {
        $loaded[0] | Should -BeOfType ([RapidMessageTools.Results.RapidScenarioResult])
        ($loaded[0] | ConvertTo-Json -Depth 12) | Should -Be ($result | ConvertTo-Json -Depth 12)
        $loaded[0].Thresholds.Sources['maxlatency'] | Should -Be 'Parameter' -Because 'limit names are read in any case, as before'
        $loaded[0].Timeline[0].ToHistogram().Summarize().P99 | Should -Be $entry.ToHistogram().Summarize().P99
    }

    It 'loads a capacity search with its steps and their results' {
        $loaded[1] | Should -BeOfType ([RapidMessageTools.Capacity.RapidCapacityResult])
        ($loaded[1] | ConvertTo-Json -Depth 12) | Should -Be ($capacity | ConvertTo-Json -Depth 12)
    }

    It 'refuses <Name> with <Id>, naming the file' -ForEach @(
        @{ Name = 'a file cut short'; Id = 'ResultFileCorrupt'; Text = '{ "SchemaVersion": 1, "Kind": "RapidMessageTools.Results", "Results": [ { "Kind"' ; Message = '*not JSON*' }
        @{ Name = 'foreign JSON'; Id = 'ResultFileForeign'; Text = '{ "name": "a package.json" }'; Message = '*no SchemaVersion*' }
        @{ Name = 'another Kind'; Id = 'ResultFileForeign'; Text = '{ "SchemaVersion": 1, "Kind": "Other", "Results": [] }'; Message = "*Kind 'Other'*" }
        @{ Name = 'a newer schema'; Id = 'ResultFileTooNew'; Text = '{ "SchemaVersion": 99, "Kind": "RapidMessageTools.Results", "Results": [] }'; Message = '*schema 99*Update*' }
        @{ Name = 'a damaged histogram'; Id = 'ResultFileCorrupt'; Text = '{ "SchemaVersion": 1, "Kind": "RapidMessageTools.Results", "Results": [ { "Kind": "ScenarioResult", "Result": { "Scenario": "Benchmark", "Histogram": { "Encoded": "bm90IGEgaGlzdG9ncmFt", "TotalCount": 5 } } } ] }'; Message = '*Results`[0`]*Histogram*' }
    ) {
        $bad = Join-Path $TestDrive "bad-$($Id).json"
        Set-Content -Path $bad -Value $Text
        { Import-RapidResult $bad -ErrorAction Stop } | Should -Throw -ErrorId "$Id,RapidMessageTools.Commands.ImportRapidResultCommand" -ExpectedMessage "*$bad*"
        { Import-RapidResult $bad -ErrorAction Stop } | Should -Throw -ExpectedMessage $Message
        { Compare-RapidResult -Baseline $bad -Current $result -ErrorAction Stop } | Should -Throw -ErrorId "$Id,RapidMessageTools.Commands.CompareRapidResultCommand"
    }

    It 'reads a folder: a bad file is an error naming it, and the good files'' results still come' {
        $folder = Join-Path $TestDrive 'history'
        $result | Export-RapidResult -Path "$folder/" | Out-Null
        Set-Content -Path (Join-Path $folder 'broken.json') -Value '{ nope'
        $read = @(Import-RapidResult $folder -ErrorVariable failed -ErrorAction SilentlyContinue)
        $read.Count | Should -Be 1
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'ResultFileCorrupt*'
        $failed[0].Exception.Message | Should -BeLike '*broken.json*'
        $rows = @($result | Compare-RapidResult -Baseline $folder -WarningVariable warned -WarningAction SilentlyContinue)
        $rows | Should -Not -BeNullOrEmpty -Because 'a bad file in a history is skipped with a warning'
        ($warned -join ' ') | Should -BeLike '*broken.json*skipped*'
    }

    It 'says a missing file is not found' {
        { Import-RapidResult (Join-Path $TestDrive 'missing.json') -ErrorAction Stop } | Should -Throw -ErrorId 'ResultFileNotFound,RapidMessageTools.Commands.ImportRapidResultCommand'
    }

    It 'does not overwrite a file without -Force' {
        { $result | Export-RapidResult -Path $file -ErrorAction Stop } | Should -Throw -ErrorId 'ResultFileExists,RapidMessageTools.Commands.ExportRapidResultCommand'
        $result | Export-RapidResult -Path $file -Force | Should -BeOfType ([IO.FileInfo])
    }
}

Describe 'A live run saved, loaded and compared' -Tag 'Integration' {
    BeforeAll {
        $server = Start-RapidMockServer -StreamChunks 3 -ChunkInterval 0.001
        $live = Invoke-RapidScenario Benchmark, Streaming -Url $server.Url -MessageCount 1200
        $file = Join-Path $TestDrive 'live.json'
        $live | Export-RapidResult -Path $file | Out-Null
        $loaded = @(Import-RapidResult $file)
    }
    AfterAll { $server | Stop-RapidMockServer }

    It 'loads <_> equal in every figure: counts, percentiles from the histograms, timeline, streams' -ForEach 'Benchmark', 'Streaming' {
        $a = $live | Where-Object Scenario -eq $_
        $b = $loaded | Where-Object Scenario -eq $_
        foreach ($p in 'Sent', 'Distinct', 'Delivered', 'Rejected', 'Lost', 'ThroughputPerSec', 'DeliveryRatio', 'ChunksDelivered', 'StreamsCompleted', 'Outcome', 'Passed', 'StartTime', 'WindowEnd') {
            $b.$p | Should -Be $a.$p -Because $p
        }
        foreach ($h in 'Histogram', 'ServiceHistogram', 'FirstChunkHistogram', 'ChunkGapHistogram') {
            if ($a.$h) {
                foreach ($p in 'P50', 'P90', 'P99', 'P999', 'Max', 'Mean', 'Count') { $b.$h.Summarize().$p | Should -Be $a.$h.Summarize().$p -Because "$h $p" }
            }
        }
        $b.Timeline.Count | Should -Be $a.Timeline.Count
        for ($i = 0; $i -lt $a.Timeline.Count; $i++) { ($b.Timeline[$i] | ConvertTo-Json) | Should -Be ($a.Timeline[$i] | ConvertTo-Json) }
        $b.Settings.WebSocketUrl | Should -Be $a.Settings.WebSocketUrl
    }

    It 'merges loaded results with Merge-RapidResult like live ones' {
        $merged = $loaded + $live | Where-Object Scenario -eq 'Benchmark' | Merge-RapidResult
        $merged.Sent | Should -Be (2 * ($live | Where-Object Scenario -eq 'Benchmark').Sent)
    }

    It 'makes a regression against -Baseline a Regression violation, so Passed is false' {
        $fast = $loaded | Where-Object Scenario -eq 'Benchmark'
        $tiny = New-Histogram ([long[]]::new(1200) | ForEach-Object { 1 })
        $fast.Histogram = $tiny.Export()
        $r = Invoke-RapidScenario Benchmark -Url $server.Url -MessageCount 1200 -Baseline $fast
        $r.Passed | Should -BeFalse
        $r.Outcome | Should -Be 'Failed'
        $regression = @($r.Violations | Where-Object Code -eq 'Regression')
        $regression.Measure | Should -Contain 'LatencyP50'
        ($regression | Where-Object Measure -eq 'LatencyP50').Limit | Should -Be 0.001
        ($regression | Where-Object Measure -eq 'LatencyP50').Message | Should -Match 'LatencyP50 regressed from 0\.001 to'
    }

    It 'reads RAPID_TEST_BASELINE when -Baseline is not given; a baseline of the same run is no regression' {
        $saved = $env:RAPID_TEST_BASELINE
        try {
            $env:RAPID_TEST_BASELINE = $file
            $r = Invoke-RapidScenario Benchmark -Url $server.Url -MessageCount 1200 -Tolerance @{ LatencyP50 = 100; LatencyP95 = 100; LatencyP99 = 100; FirstChunkLatency = 100; ChunkGap = 100; Throughput = 1; MemoryGrowth = 100 } -Verbose 4>&1 |
                Where-Object { $_ -is [RapidMessageTools.Results.RapidScenarioResult] }
            @($r.Violations | Where-Object Code -eq 'Regression') | Should -BeNullOrEmpty
            $env:RAPID_TEST_BASELINE = Join-Path $TestDrive 'not-yet.json'
            $r = Invoke-RapidScenario Benchmark -Url $server.Url -MessageCount 100 -WarningVariable warned -WarningAction SilentlyContinue
            $r.Passed | Should -BeTrue -Because 'no baseline yet is not a failure'
            ($warned -join ' ') | Should -Match 'does not exist yet'
        }
        finally { $env:RAPID_TEST_BASELINE = $saved }
    }

    It 'writes BaselineNotComparable (naming MessageCount) when -Baseline ran another load, and still returns the result' {
        $r = Invoke-RapidScenario Benchmark -Url $server.Url -MessageCount 100 -Baseline $file -ErrorVariable failed -ErrorAction SilentlyContinue
        $r | Should -Not -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'BaselineNotComparable*'
        $failed[0].Exception.Message | Should -Match 'MessageCount 1200 in the baseline, 100 now'
    }
}

Describe 'Find-RapidCapacity -Baseline' -Tag 'Integration' {
    It 'turns a capacity lower than the baseline''s, broken at a rate the baseline held, into a Regression and Passed false' {
        $server = Start-RapidMockServer -ResponseDelay 0.2
        try {
            $first = Find-RapidCapacity -Url $server.Url -Connections 1 -MaxLatency 0.05 -StartRate 20 -StepDuration 0.5 -MaxSteps 2
            $first.Passed | Should -BeTrue
            $first.HighestHeldRate = 1000; $first.FirstBrokenRate = 2000
            $again = Find-RapidCapacity -Url $server.Url -Connections 1 -MaxLatency 0.05 -StartRate 20 -StepDuration 0.5 -MaxSteps 2 -Baseline $first
        }
        finally { $server | Stop-RapidMockServer }
        $again.Passed | Should -BeFalse
        $again.Violations[0].Code | Should -Be 'Regression'
        $again.Violations[0].Measure | Should -Be 'Capacity'
        $again.Violations[0].Message | Should -Match 'from 1000 to'
    }
}

Describe 'The help examples of Export-, Import- and Compare-RapidResult, and Export-RapidReport''s comparison, run verbatim' -Tag 'Integration' {
    BeforeDiscovery {
        $cases = foreach ($name in 'Export-RapidResult', 'Import-RapidResult', 'Compare-RapidResult', 'Export-RapidReport') {
            $text = (Get-Content (Join-Path $PSScriptRoot "../../help/$name.md") -Raw) -replace "`r`n", "`n"
            [regex]::Matches($text, '(?m)^### (Example \d+)([^\n]*)\n```powershell\n([\s\S]*?)\n```') |
                # Export-RapidReport: its comparison examples (the others run in Report.Tests.ps1's style, with a backend).
                Where-Object { $name -ne 'Export-RapidReport' -or $_.Groups[2].Value -match 'comparison' } |
                ForEach-Object { @{ Command = $name; Example = $_.Groups[1].Value; Code = $_.Groups[3].Value } }
        }
    }

    It '<Command> <Example> runs, shows what it says and stops the mock it started' -ForEach $cases {
        $before = @(Get-RapidMockServer).Count
        $out = @(& ([scriptblock]::Create($Code)))
        @(Get-RapidMockServer).Count | Should -Be $before
        switch ("$Command $Example") {
            'Export-RapidResult Example 1' { Join-Path ([IO.Path]::GetTempPath()) 'rapid-history' | Get-ChildItem -Filter *.json | Should -Not -BeNullOrEmpty }
            'Export-RapidResult Example 2' { @(Import-RapidResult (Join-Path ([IO.Path]::GetTempPath()) 'rapid-capacity.json'))[0] | Should -BeOfType ([RapidMessageTools.Capacity.RapidCapacityResult]) }
            'Import-RapidResult Example 1' { $out[-1] | Should -BeOfType ([RapidMessageTools.Metrics.RapidLatencySummary]); $out[-1].Count | Should -Be 1000 }
            'Import-RapidResult Example 2' { $out[-1].Sent | Should -Be 1000; $out[-1].Shard | Should -BeIn '1,2/2', '2,1/2' }
            'Compare-RapidResult Example 1' { ($out | Where-Object { $_ -is [RapidMessageTools.Baselines.RapidComparison] }).Metric | Should -Contain 'LatencyP99' }
            'Compare-RapidResult Example 2' { $out | Where-Object { $_.Verdict -ne 'Regressed' } | Should -BeNullOrEmpty }
            'Export-RapidReport Example 5' {
                $folder = Join-Path ([IO.Path]::GetTempPath()) 'rapid-compare'
                $out[-1] | Should -Match '^##vso\[task\.uploadsummary\].*comparison\.md$'
                Get-Content "$folder/comparison.md" -Raw | Should -Match '\| LatencyP50 \|'
                @(([xml] (Get-Content "$folder/comparison.xml" -Raw)).testsuites.testsuite.testcase.name) | Should -Contain 'LatencyP99'
            }
        }
    }
}

Describe 'about_RapidMessageTools'' baseline example runs verbatim' -Tag 'Integration' {
    It 'saves a history, compares with it and writes the Markdown summary' {
        $text = (Get-Content (Join-Path $PSScriptRoot '../../help/about_RapidMessageTools.help.txt') -Raw) -replace "`r`n", "`n"
        $section = [regex]::Match($text, '(?ms)^BASELINES AND REGRESSIONS\n(.*?)^[A-Z]').Groups[1].Value
        $code = (@($section -split "`n" | Where-Object { $_ -match '^ {8}\S|^ {12}' }) | ForEach-Object { $_.Substring(8) }) -join "`n"
        $code | Should -Match 'Compare-RapidResult -Baseline ./history'
        $work = Join-Path $TestDrive 'about-baseline'
        New-Item -ItemType Directory -Path $work | Out-Null
        $before = @(Get-RapidMockServer).Count
        Push-Location $work
        try { & ([scriptblock]::Create($code)) }
        finally { Pop-Location }
        @(Get-RapidMockServer).Count | Should -Be $before
        @(Get-ChildItem (Join-Path $work 'history') -Filter *.json).Count | Should -Be 1
        Get-Content (Join-Path $work 'regressions.md') -Raw | Should -Match '\| Benchmark \| LatencyP99 \|'
    }
}
