# Export-RapidReport -Baseline (the baseline's percentile curve and timeline drawn in the HTML report) and -History
# (a trend of p99, throughput and capacity over a folder of result files), asserted on the HTML written: which
# series are drawn, one point per run, what is marked, and every refusal; the help examples run verbatim, and both
# pages render in headless Chromium without clipping.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'test helpers (New-*) make test objects; -WhatIf has no meaning in a test')]
param()

BeforeAll {
    Import-Module RapidMessageTools -Force
    . (Join-Path $PSScriptRoot 'Support/Chromium.ps1')

    # 2,000 latencies from 2 to 22 ms, times $Scale: identical runs are identical, a slower one is slower at every percentile.
    function New-Histogram([double] $Scale) {
        $h = [RapidMessageTools.Metrics.LatencyHistogram]::new()
        foreach ($i in 1..2000) { $h.RecordMicroseconds([long] ((2000 + (10 * $i)) * $Scale)) }
        $h
    }

    function New-Run {
        param([string] $Scenario = 'Benchmark', [double] $Scale = 1.0, [double] $Throughput = 1000, [int] $MessageCount = 2000,
            [int] $Minute = 0, [int] $Intervals = 0, [string] $Outcome = 'Passed')
        $h = New-Histogram $Scale
        $r = [RapidMessageTools.Results.RapidScenarioResult]::new()
        $r.Scenario = $Scenario
        $r.Outcome = $Outcome; $r.Passed = $Outcome -eq 'Passed'
        $r.Sent = 2000; $r.Distinct = 2000; $r.Accepted = 2000; $r.Delivered = 2000; $r.DeliveryRatio = 1
        $r.ThroughputPerSec = $Throughput
        $r.Duration = 2
        $r.Histogram = $h.Export(); $r.ServiceHistogram = $h.Export(); $r.Latency = $h.Summarize(); $r.ServiceLatency = $h.Summarize()
        $r.Parameters.MessageCount = $MessageCount
        $r.Parameters.Connections = 4
        $r.RunId = 'run{0:00}{1}' -f $Minute, $Scenario
        $r.StartTime = [datetime]::new(2026, 12, 1, 10, 0, 0, [DateTimeKind]::Utc).AddMinutes($Minute)
        $r.Url = 'ws://127.0.0.1:1/ws'
        $r.Timeline = @(for ($i = 0; $i -lt $Intervals; $i++) {
                $e = [RapidMessageTools.Metrics.RapidTimelineEntry]::new()
                $e.Elapsed = 0.5 * $i; $e.Seconds = 0.5; $e.Delivered = 100; $e.Sent = 100
                $e.SendRate = $Throughput; $e.DeliveredRate = $Throughput; $e.IntendedRate = $Throughput
                $e.P50 = 12 * $Scale; $e.P90 = 20 * $Scale; $e.P99 = 22 * $Scale; $e.Max = 22 * $Scale
                $e
            })
        $r.TimelineInterval = if ($Intervals) { 0.5 } else { 0 }
        $r
    }

    function New-Capacity([double] $Held, [double] $Broken, [int] $Minute) {
        $c = [RapidMessageTools.Capacity.RapidCapacityResult]::new()
        $c.Scenario = 'Benchmark'; $c.HighestHeldRate = $Held; $c.FirstBrokenRate = $Broken; $c.BrokenBy = 'Latency'
        $c.Connections = 4; $c.StepDuration = 1
        $c.StartTime = [datetime]::new(2026, 12, 1, 10, 0, 30, [DateTimeKind]::Utc).AddMinutes($Minute)
        $c
    }

    # Each result in its own file, as a history of Export-RapidResult -Path folder/ holds them.
    function New-History([string] $Name, [object[]] $Results) {
        $folder = Join-Path $TestDrive $Name
        New-Item -ItemType Directory -Path $folder -Force | Out-Null
        $i = 0
        foreach ($r in $Results) { $r | Export-RapidResult -Path (Join-Path $folder ('run-{0:00}.json' -f ++$i)) -Force | Out-Null }
        $folder
    }

    function Get-Svg([string] $Html, [string] $Id) { [regex]::Match($Html, "(?s)<svg [^>]*id=`"$Id`".*?</svg>").Value }

    # The points of one series of a trend chart: their classes, in order.
    function Get-TrendPoint([string] $Svg, [int] $Series) {
        $group = [regex]::Match($Svg, "(?s)<g class=`"series`" data-series=`"$Series`"[^>]*>.*?</g>").Value
        @([regex]::Matches($group, '<circle class="(point [^"]+)"') | ForEach-Object { $_.Groups[1].Value })
    }

    # The y of each vertex of a polyline (smaller is higher on the page).
    function Get-PolylineY([string] $Svg, [string] $Class) {
        $points = [regex]::Match($Svg, "<polyline class=`"$Class`" points=`"([^`"]*)`"").Groups[1].Value
        @($points -split ' ' | Where-Object { $_ } | ForEach-Object { [double] ($_ -split ',')[1] })
    }

    function Read-Html([IO.FileInfo] $File) { Get-Content $File.FullName -Raw }
}

Describe 'Export-RapidReport -Baseline: the baseline drawn in the HTML report' -Tag 'Unit' {
    BeforeAll {
        $current = New-Run -Minute 10 -Intervals 8
        $slower = New-Run -Minute 5 -Scale 1.5 -Throughput 800 -Intervals 6
        $html = Read-Html ($current | Export-RapidReport -Path (Join-Path $TestDrive 'overlay.html') -Baseline $slower)
        $percentiles = Get-Svg $html 'latency-chart-r1-Benchmark-1-1'
        $throughput = Get-Svg $html 'r1-Benchmark-1-1-throughput'
        $latency = Get-Svg $html 'r1-Benchmark-1-1-latency'
    }

    It 'draws the baseline''s percentile curve beside the current one, with a legend naming both' {
        $percentiles | Should -Match '<polyline class="baseline-curve" points="[0-9., ]+"/>'
        $percentiles | Should -Match '<polyline class="curve" points="[0-9., ]+"/>'
        $percentiles | Should -Match '<g class="legend"><line class="curve"[^>]*/><text[^>]*>current</text><line class="baseline-curve"[^>]*/><text[^>]*>baseline</text></g>'
        # The baseline is 1.5 times slower at every percentile: its curve lies higher on the page (smaller y).
        $base = Get-PolylineY $percentiles 'baseline-curve'
        $now = Get-PolylineY $percentiles 'curve'
        $base.Count | Should -Be $now.Count
        $base[-1] | Should -BeLessThan $now[-1]
        $base[6] | Should -BeLessThan $now[6] -Because 'p99 too'
    }

    It 'draws the baseline''s delivered rate and p99 over time, one vertex per baseline interval, named in the legends' {
        (Get-PolylineY $throughput 'baseline').Count | Should -Be 6
        (Get-PolylineY $throughput 'delivered').Count | Should -Be 8
        $throughput | Should -Match '>baseline delivered</text>'
        $throughput | Should -Match '>delivered</text>'
        (Get-PolylineY $latency 'baseline').Count | Should -Be 6
        $latency | Should -Match '>baseline p99</text>'
        # 800 msg/s in the baseline, 1000 now: the baseline's line is lower on the page.
        (Get-PolylineY $throughput 'baseline')[1] | Should -BeGreaterThan (Get-PolylineY $throughput 'delivered')[1]
        Get-Svg $html 'r1-Benchmark-1-1-errors' | Should -Not -Match 'baseline' -Because 'errors are not overlaid'
    }

    It 'says under the figures which baseline run is drawn' {
        $html | Should -Match '<p class="baseline" id="baseline-r1-Benchmark-1-1">Drawn against the baseline: the baseline is the run of 2026-12-01 10:05:00 UTC; its timeline is drawn\.</p>'
    }

    It 'changes nothing without -Baseline: no baseline curve, line, legend or note' {
        $plain = Read-Html ($current | Export-RapidReport -Path (Join-Path $TestDrive 'plain.html'))
        $plain | Should -Not -Match 'baseline'
        $plain | Should -Not -Match '<g class="legend">'
        $plain | Should -Match '<polyline class="curve" points="[0-9., ]+"/>'
        ([regex]::Matches($plain, '<svg ')).Count | Should -Be ([regex]::Matches($html, '<svg ')).Count -Because 'the same charts, without the overlay'
    }

    It 'merges the comparable runs of a baseline folder, leaving out interrupted runs, other settings and the run itself' {
        $folder = New-History 'overlay-history' @(
            (New-Run -Minute 1 -Scale 1.2 -Intervals 4)
            (New-Run -Minute 2 -Scale 1.4 -Intervals 5)
            (New-Run -Minute 3 -MessageCount 1000 -Intervals 4)
            (New-Run -Minute 4 -Outcome Interrupted -Intervals 4)
            $current)
        $merged = Read-Html ($current | Export-RapidReport -Path (Join-Path $TestDrive 'merged.html') -Baseline $folder)
        Get-Svg $merged 'latency-chart-r1-Benchmark-1-1' | Should -Match '>baseline \(2 runs merged\)</text>'
        $merged | Should -Match 'the baseline is 2 comparable runs \(2026-12-01 10:01:00 UTC to 2026-12-01 10:02:00 UTC\), their histograms merged for the percentile curve; the timeline drawn is the newest one&#39;s \(2026-12-01 10:02:00 UTC\)\. 1 interrupted run\(s\) left out\. 1 run\(s\) with other settings left out\.'
        (Get-PolylineY (Get-Svg $merged 'r1-Benchmark-1-1-throughput') 'baseline').Count | Should -Be 5 -Because 'the newest comparable run has 5 intervals'
    }

    It 'draws no baseline, saying why and warning, when <Case>' -ForEach @(
        @{ Case = 'the baseline ran another load'; Baseline = { New-Run -Minute 1 -MessageCount 1000 }; Note = 'No baseline drawn: the baseline is not comparable with this run: MessageCount 1000 in the baseline, 2000 now\.' }
        @{ Case = 'the baseline has no run of the scenario'; Baseline = { New-Run -Scenario Sequential -Minute 1 }; Note = 'No baseline drawn: the baseline has no other run of Benchmark \(it holds Sequential\)\.' }
        @{ Case = 'the baseline''s runs were interrupted'; Baseline = { New-Run -Minute 1 -Outcome Interrupted }; Note = 'No baseline drawn: the baseline&#39;s 1 run\(s\) of Benchmark were interrupted' }
    ) {
        $file = $current | Export-RapidReport -Path (Join-Path $TestDrive "none-$([guid]::NewGuid()).html") -Baseline (& $Baseline) -WarningVariable warned -WarningAction SilentlyContinue
        $none = Read-Html $file
        $none | Should -Match $Note
        $none | Should -Not -Match 'class="baseline-curve"|class="baseline" points'
        ($warned -join ' ') | Should -Match ('Benchmark: ' + $Note.Replace('&#39;', "'"))
    }

    It 'warns and draws nothing against a baseline file that does not exist yet' {
        $file = $current | Export-RapidReport -Path (Join-Path $TestDrive 'first.html') -Baseline (Join-Path $TestDrive 'not-yet.json') -WarningVariable warned -WarningAction SilentlyContinue
        ($warned -join ' ') | Should -BeLike '*not-yet.json*does not exist yet, so no result is drawn against it*'
        Read-Html $file | Should -Not -Match 'class="baseline-curve"'
    }

    It 'refuses -Baseline with a format other than HTML (ReportBaselineFormat), writing nothing' {
        $path = Join-Path $TestDrive 'overlay.md'
        { $current | Export-RapidReport -Path $path -Baseline $slower -ErrorAction Stop } | Should -Throw -ErrorId 'ReportBaselineFormat,RapidMessageTools.Commands.ExportRapidReportCommand' -ExpectedMessage '*Compare-RapidResult*'
        $path | Should -Not -Exist
    }
}

Describe 'Export-RapidReport -History: a trend of p99, throughput and capacity' -Tag 'Unit' {
    BeforeAll {
        # Four identical runs, then one 1.5 times slower at half the throughput; capacity searches: three that held
        # 1000 msg/s, then one that broke at 600 (a rate the others held).
        $runs = @(1..4 | ForEach-Object { New-Run -Minute $_ }) + @(New-Run -Minute 5 -Scale 1.5 -Throughput 500)
        $searches = @(1..3 | ForEach-Object { New-Capacity 1000 1100 $_ }) + @(New-Capacity 500 600 4)
        $folder = New-History 'history' ($runs + $searches)
        $file = Export-RapidReport -Path (Join-Path $TestDrive 'trend.html') -History $folder
        $html = Read-Html $file
        $p99 = Get-Svg $html 'trend-Benchmark-p99'
        $throughput = Get-Svg $html 'trend-Benchmark-throughput'
        $capacity = Get-Svg $html 'trend-Benchmark-capacity'
    }

    It 'returns the file and draws p99, throughput and capacity, one series each, one point per run' {
        $file | Should -BeOfType ([IO.FileInfo])
        (Get-TrendPoint $p99 1).Count | Should -Be 5
        (Get-TrendPoint $throughput 1).Count | Should -Be 5
        (Get-TrendPoint $capacity 1).Count | Should -Be 4
        ([regex]::Matches($p99, '<g class="series"')).Count | Should -Be 1
        $capacity | Should -Match 'data-metric="Capacity"'
        $html | Should -Not -Match '<script|<link|https?://'
    }

    It 'marks the slower run, and only it, Regressed, and rings the newest run when none is piped' {
        foreach ($chart in $p99, $throughput) {
            $points = Get-TrendPoint $chart 1
            @($points | Where-Object { $_ -match 'regressed' }).Count | Should -Be 1
            $points[-1] | Should -Be 'point s1 regressed current'
            $points[0..3] | Should -Be @('point s1', 'point s1', 'point s1', 'point s1')
        }
        (Get-TrendPoint $capacity 1)[-1] | Should -Be 'point s1 regressed current'
        $p99 | Should -Match '>newest run</text>'
        $p99 | Should -Match '>regressed</text>'
        $html | Should -Match '<ul class="regressions">\n<li>Series 1, the run of 2026-12-01 10:05:00 UTC \(&#39;run-05\.json&#39;\): LatencyP99 '
    }

    It 'puts the run, its file, its value and its verdict in each point''s tooltip' {
        $p99 | Should -Match '<title>Benchmark, series 1: the run of 2026-12-01 10:01:00 UTC from &#39;run-01\.json&#39;: 21\.\d+ ms\. NoBaseline: '
        $throughput | Should -Match '<title>Benchmark, series 1: the run of 2026-12-01 10:05:00 UTC \(newest run\) from &#39;run-05\.json&#39;: 500 msg/s\. Regressed: '
    }

    It 'lists the series with their settings and how many runs are drawn' {
        $html | Should -Match '<tr><td>1</td><td>scenario run</td><td>protocol Rapid, MessageCount 2000, Connections 4</td><td>5 / 5</td>'
        $html | Should -Match '<tr><td>1</td><td>capacity search</td><td>protocol Rapid, Connections 4, Constant arrivals, StepDuration 1 s, MaxLatency 1 s at p99, MinDeliveryRatio 1</td><td>4 / 4</td>'
        $html | Should -Match '<th>Not read</th><td>nothing: every result file was read</td>'
    }

    It 'rings the piped run as the current one, last in its series, and counts a run piped and saved once' {
        $now = New-Run -Minute 20
        $piped = Read-Html ($now | Export-RapidReport -Path (Join-Path $TestDrive 'piped.html') -History $folder)
        $points = Get-TrendPoint (Get-Svg $piped 'trend-Benchmark-p99') 1
        $points.Count | Should -Be 6
        $points[-1] | Should -Be 'point s1 current'
        @($points | Where-Object { $_ -match 'current' }).Count | Should -Be 1
        Get-Svg $piped 'trend-Benchmark-p99' | Should -Match '>current run</text>'
        (Get-TrendPoint (Get-Svg $piped 'trend-Benchmark-capacity') 1) | Should -Not -Match 'current' -Because 'no search was piped'

        $saved = New-History 'saved' ($runs + $now)
        $once = Read-Html ($now | Export-RapidReport -Path (Join-Path $TestDrive 'once.html') -History $saved)
        (Get-TrendPoint (Get-Svg $once 'trend-Benchmark-p99') 1).Count | Should -Be 6
    }

    It 'draws the newest -Last runs of a series, each judged against up to -Last runs before it' {
        $last = Read-Html (Export-RapidReport -Path (Join-Path $TestDrive 'last.html') -History $folder -Last 3)
        (Get-TrendPoint (Get-Svg $last 'trend-Benchmark-p99') 1).Count | Should -Be 3
        $last | Should -Match '<td>3 / 5</td>'
        $last | Should -Match 'the newest 3 runs of each series are drawn'
        Get-Svg $last 'trend-Benchmark-p99' | Should -Match 'the run of 2026-12-01 10:03:00 UTC from &#39;run-03\.json&#39;: [0-9.]+ ms\. Unchanged: ' -Because 'the first run drawn has the runs before it as its baseline'
    }

    It 'takes -Tolerance for the Regressed points' {
        $loose = Read-Html (Export-RapidReport -Path (Join-Path $TestDrive 'loose.html') -History $folder -Tolerance @{ LatencyP99 = 1; Throughput = 1 })
        Get-TrendPoint (Get-Svg $loose 'trend-Benchmark-p99') 1 | Should -Not -Match 'regressed'
        { Export-RapidReport -Path (Join-Path $TestDrive 'bad-tolerance.html') -History $folder -Tolerance @{ Nope = 1 } -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidTolerance*'
    }

    It 'draws runs with other settings as another series, judged apart, and says so' {
        # Series 2 is three times slower than series 1 throughout: judged with series 1 it would be Regressed.
        $mixed = New-History 'mixed' (@(New-Run -Minute 1; New-Run -Minute 2 -MessageCount 500 -Scale 3; New-Run -Minute 3; New-Run -Minute 4 -MessageCount 500 -Scale 3; New-Run -Minute 5 -MessageCount 500 -Scale 3; New-Run -Scenario Sequential -Minute 6; New-Run -Scenario Sequential -Minute 7))
        $file = Export-RapidReport -Path (Join-Path $TestDrive 'mixed.html') -History $mixed -WarningVariable warned -WarningAction SilentlyContinue
        $two = Read-Html $file
        $chart = Get-Svg $two 'trend-Benchmark-p99'
        (Get-TrendPoint $chart 1).Count | Should -Be 2
        (Get-TrendPoint $chart 2).Count | Should -Be 3
        $chart | Should -Match '>series 1</text>'
        $chart | Should -Match '>series 2</text>'
        (Get-TrendPoint (Get-Svg $two 'trend-Sequential-p99') 1).Count | Should -Be 2
        $two | Should -Match 'The runs of Benchmark are not all comparable with each other \(other settings\), so they are 2 series, each judged against its own runs: series 1: protocol Rapid, MessageCount 2000, Connections 4; series 2: protocol Rapid, MessageCount 500, Connections 4\.'
        ($warned -join ' ') | Should -Match 'not all comparable'
        Get-TrendPoint $chart 2 | Should -Be @('point s2', 'point s2', 'point s2 current') -Because 'series 2 is judged against its own runs only'
        $chart | Should -Not -Match '<circle class="point [^"]*regressed'
        $two | Should -Not -Match 'trend-Benchmark-capacity' -Because 'there is no capacity search to chart'
    }

    It 'leaves out interrupted runs and a series of one run, saying so on the page and as warnings' {
        $odd = New-History 'odd' (@(New-Run -Minute 1; New-Run -Minute 2 -Outcome Interrupted; New-Run -Minute 3; New-Run -Minute 4 -MessageCount 10))
        $page = Read-Html (Export-RapidReport -Path (Join-Path $TestDrive 'odd.html') -History $odd -WarningVariable warned -WarningAction SilentlyContinue)
        (Get-TrendPoint (Get-Svg $page 'trend-Benchmark-p99') 1).Count | Should -Be 2
        $page | Should -Match '1 interrupted run\(s\) of Benchmark left out \(their figures are partial\): &#39;run-02\.json&#39;\.'
        $page | Should -Match 'Benchmark, series 2 \(protocol Rapid, MessageCount 10, Connections 4\), has one run \(2026-12-01 10:04:00 UTC\): a trend needs two, so it is not drawn\.'
        (Get-TrendPoint (Get-Svg $page 'trend-Benchmark-p99') 2).Count | Should -Be 0
        ($warned -join "`n") | Should -Match 'interrupted run'
        ($warned -join "`n") | Should -Match 'a trend needs two'
    }
}

Describe 'Export-RapidReport -History refuses what is not a trend' -Tag 'Unit' {
    BeforeAll {
        $two = @((New-Run -Minute 1), (New-Run -Minute 2))
    }

    It 'names a corrupt file (ResultFileCorrupt, non-terminating), draws the others, and lists the file on the page' {
        $folder = New-History 'corrupt' $two
        Set-Content -Path (Join-Path $folder 'run-03.json') -Value '{ "SchemaVersion": 1, "Kind": "RapidMessageTools.Results", "Results": [ { "Kind"'
        $file = Export-RapidReport -Path (Join-Path $TestDrive 'corrupt.html') -History $folder -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -Be 'ResultFileCorrupt,RapidMessageTools.Commands.ExportRapidReportCommand'
        $failed[0].TargetObject | Should -Be (Join-Path $folder 'run-03.json')
        "$($failed[0])" | Should -BeLike "*run-03.json' is not JSON*left out of the trend: replace it with a good copy, or move it out of the folder."
        $page = Read-Html $file
        (Get-TrendPoint (Get-Svg $page 'trend-Benchmark-p99') 1).Count | Should -Be 2
        $page | Should -Match '<th>Not read</th><td>1 file, listed below</td>'
        $page | Should -Match '<ul id="trend-unread" class="unread">\n<li>&#39;[^<]*run-03\.json&#39; is not JSON'
        { Export-RapidReport -Path (Join-Path $TestDrive 'corrupt-stop.html') -History $folder -ErrorAction Stop } | Should -Throw -ErrorId 'ResultFileCorrupt*'
    }

    It 'refuses <Case> with <Id>, naming it and saying what to do' -ForEach @(
        @{ Case = 'a folder with no result files'; Id = 'TrendNoRuns'; Message = "*holds no result files (*.json)*Export-RapidResult -Path*" ; Make = { New-Item -ItemType Directory -Path (Join-Path $TestDrive 'empty') -Force | ForEach-Object FullName } }
        @{ Case = 'a folder of files that cannot be read'; Id = 'TrendNoRuns'; Message = '*holds no result that could be read (1 of 1 file(s)*Replace or remove*'; Make = { $f = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'all-bad') -Force; Set-Content (Join-Path $f 'x.json') '{ nope'; $f.FullName } }
        @{ Case = 'a path that does not exist'; Id = 'ResultFileNotFound'; Message = '*missing-history* does not exist*'; Make = { Join-Path $TestDrive 'missing-history' } }
        @{ Case = 'one run'; Id = 'TrendNeedsTwoRuns'; Message = '*A trend needs two runs or more*Benchmark (protocol Rapid, MessageCount 2000, Connections 4): 1 run*'; Make = { New-History 'one' @(New-Run -Minute 1) } }
        @{ Case = 'two runs that are not comparable'; Id = 'TrendNeedsTwoRuns'; Message = '*A trend needs two*MessageCount 2000, Connections 4): 1 run; Benchmark (protocol Rapid, MessageCount 10, Connections 4): 1 run*'; Make = { New-History 'apart' @((New-Run -Minute 1), (New-Run -Minute 2 -MessageCount 10)) } }
    ) {
        $history = & $Make
        $path = Join-Path $TestDrive "refused-$Id.html"
        { Export-RapidReport -Path $path -History $history -ErrorAction SilentlyContinue } | Should -Throw -ErrorId "$Id,RapidMessageTools.Commands.ExportRapidReportCommand" -ExpectedMessage $Message
        $path | Should -Not -Exist
    }

    It 'draws a trend of one saved run and the piped one: two runs are enough' {
        $folder = New-History 'one-and-piped' @(New-Run -Minute 1)
        $page = Read-Html (New-Run -Minute 2 | Export-RapidReport -Path (Join-Path $TestDrive 'one-and-piped.html') -History $folder)
        (Get-TrendPoint (Get-Svg $page 'trend-Benchmark-p99') 1) | Should -Be @('point s1', 'point s1 current')
    }

    It 'refuses <Case> with ReportTrendFormat' -ForEach @(
        @{ Case = 'a Markdown path'; Path = 'trend.md'; Rows = $false }
        @{ Case = 'comparison rows piped'; Path = 'rows.html'; Rows = $true }
    ) {
        $folder = New-History 'format' $two
        $in = if ($Rows) { @($two[1] | Compare-RapidResult -Baseline $two[0]) } else { @() }
        { $in | Export-RapidReport -Path (Join-Path $TestDrive $Path) -History $folder -ErrorAction Stop } | Should -Throw -ErrorId 'ReportTrendFormat,RapidMessageTools.Commands.ExportRapidReportCommand'
    }

    It 'refuses to overwrite a trend without -Force' {
        $folder = New-History 'twice' $two
        $path = Join-Path $TestDrive 'twice.html'
        Export-RapidReport -Path $path -History $folder | Out-Null
        { Export-RapidReport -Path $path -History $folder -ErrorAction Stop } | Should -Throw -ErrorId 'ReportExists*'
        (Export-RapidReport -Path $path -History $folder -Force).FullName | Should -Be $path
    }
}

Describe 'Export-RapidReport''s baseline and trend examples, run verbatim, and rendered' -Tag 'Integration' {
    BeforeDiscovery {
        $text = (Get-Content (Join-Path $PSScriptRoot '../../help/Export-RapidReport.md') -Raw) -replace "`r`n", "`n"
        $cases = @([regex]::Matches($text, '(?m)^### (Example \d+)([^\n]*)\n```powershell\n([\s\S]*?)\n```') |
                Where-Object { $_.Groups[3].Value -match '-Baseline "|-History ' } |
                ForEach-Object { @{ Example = $_.Groups[1].Value; Code = $_.Groups[3].Value } })
    }

    BeforeAll {
        $text = (Get-Content (Join-Path $PSScriptRoot '../../help/Export-RapidReport.md') -Raw) -replace "`r`n", "`n"
    }

    It 'has an example of each: -Baseline and -History' {
        $text | Should -Match '(?m)^Invoke-RapidScenario .*\| Export-RapidReport -Path \S+ -Baseline '
        $text | Should -Match '(?m)^Invoke-RapidScenario .*\| Export-RapidReport -Path \S+ -History '
    }

    It '<Example> runs, writes what it says and stops the mock it started' -ForEach $cases {
        $before = @(Get-RapidMockServer).Count
        $out = @(& ([scriptblock]::Create($Code)))
        @(Get-RapidMockServer).Count | Should -Be $before
        $page = $out | Where-Object { $_ -is [IO.FileInfo] -and $_.Extension -eq '.html' } | Select-Object -Last 1
        $page | Should -Not -BeNullOrEmpty
        $html = Read-Html $page
        if ($Code -match '-Baseline') {
            Get-Svg $html 'latency-chart-r1-Benchmark-1-1' | Should -Match '<polyline class="baseline-curve" points="[0-9., ]+"/>'
            Get-Svg $html 'r1-Benchmark-1-1-throughput' | Should -Match '<polyline class="baseline" points="[0-9., ]+"/>'
            $html | Should -Match '>baseline delivered</text>'
        }
        else {
            $history = Join-Path ([IO.Path]::GetTempPath()) 'rapid-trend'
            $files = @(Get-ChildItem $history -Filter *.json).Count
            $points = Get-TrendPoint (Get-Svg $html 'trend-Sequential-p99') 1
            $points.Count | Should -Be ([math]::Min(20, $files + 1))
            $points[-1] | Should -Match 'current'
        }
    }

    It 'renders the overlay and a trend of several series in headless Chromium: every chart drawn, nothing clipped' -Tag 'Browser' {
        $chromium = Get-Chromium
        if (-not $chromium) {
            Set-ItResult -Skipped -Because 'Chromium is not installed (apt-get install chromium; .ci/run installs it)'
            return
        }
        $server = Start-RapidMockServer
        try {
            $load = @{ Url = $server.Url; Rate = 150; Duration = 1.5; TimelineInterval = 0.25 }
            $baseline = Invoke-RapidScenario Benchmark @load
            $overlay = Read-Html (Invoke-RapidScenario Benchmark @load | Export-RapidReport -Path (Join-Path $TestDrive 'overlay-browser.html') -Baseline $baseline)
        }
        finally { $server | Stop-RapidMockServer }
        $runs = @(1..6 | ForEach-Object { New-Run -Minute $_ }) + @(New-Run -Minute 7 -Scale 2 -Throughput 400) + @(1..3 | ForEach-Object { New-Run -Minute (10 + $_) -MessageCount 500 })
        $searches = @(1..3 | ForEach-Object { New-Capacity 1000 1100 $_ }) + @(New-Capacity 500 600 4)
        $trend = Read-Html (Export-RapidReport -Path (Join-Path $TestDrive 'trend-browser.html') -History (New-History 'browser' ($runs + $searches)) -WarningAction SilentlyContinue)

        $shot = Join-Path ([IO.Path]::GetTempPath()) 'rapid-overlay-report.png'
        $dom = Invoke-ChromiumProbe $chromium.Source $overlay $TestDrive 'overlay' $shot
        (Get-Item $shot).Length | Should -BeGreaterThan 10000
        $dom | Should -Match 'data-clipped="none"'
        $dom | Should -Match '<polyline class="baseline-curve" points="[0-9., ]+"'
        $dom | Should -Match '<polyline class="baseline" points="[0-9., ]+"'

        $shot = Join-Path ([IO.Path]::GetTempPath()) 'rapid-trend-report.png'
        $dom = Invoke-ChromiumProbe $chromium.Source $trend $TestDrive 'trend' $shot
        (Get-Item $shot).Length | Should -BeGreaterThan 10000
        $dom | Should -Match 'data-clipped="none"'
        ([regex]::Matches($dom, '<circle class="point s2')).Count | Should -Be 6 -Because 'series 2 has 3 runs on two charts'
        $dom | Should -Match '<circle class="point s1 regressed current"'
    }
}
