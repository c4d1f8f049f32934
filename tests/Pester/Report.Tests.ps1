[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'test helpers (New-*, Start-*, Remove-*) make test objects; -WhatIf has no meaning in a test')]
param()

BeforeAll {
    Import-Module RapidMessageTools -Force
    . (Join-Path $PSScriptRoot 'Support/Chromium.ps1')

    function New-Result([string] $Name, [bool] $Passed, [long[]] $Micros) {
        $h = [RapidMessageTools.Metrics.LatencyHistogram]::new()
        foreach ($m in $Micros) { $h.RecordMicroseconds($m) }
        $r = [RapidMessageTools.Results.RapidScenarioResult]::new()
        $r.Scenario = $Name
        $r.Passed = $Passed
        $r.Outcome = if ($Passed) { 'Passed' } else { 'Failed' }
        $r.Sent = $Micros.Count
        $r.Delivered = $Micros.Count
        $r.Histogram = $h.Export()
        $r.ServiceHistogram = $h.Export()
        $r.Latency = $h.Summarize()
        $r.ServiceLatency = $h.Summarize()
        $r.Duration = 1.5
        $r.Url = 'ws://127.0.0.1:1/ws'
        if (-not $Passed) {
            $r.Violations = @(
                [RapidMessageTools.Results.RapidViolation]::new('OutOfOrder', '3 replies arrived out of order (sequence 5 after 6); <b>&'),
                [RapidMessageTools.Results.RapidViolation]::new('MissingReply', '1 of 10 messages got no reply.')
            )
        }
        $r
    }
}

Describe 'Export-RapidReport' -Tag 'Unit' {
    BeforeAll {
        $results = @(
            New-Result 'Sequential' $true (1..500)
            New-Result 'Benchmark' $false (1..1000 | ForEach-Object { $_ * 10 })
        )
    }

    It 'writes JUnit XML with one testcase per scenario and the violations as the failure' {
        $file = $results | Export-RapidReport -Path (Join-Path $TestDrive 'r.xml')
        $file | Should -BeOfType System.IO.FileInfo
        [xml] $xml = Get-Content $file.FullName -Raw
        $cases = $xml.testsuites.testsuite.testcase
        $cases | Should -HaveCount 2
        $xml.testsuites.testsuite.failures | Should -Be '1'
        $failed = $cases | Where-Object name -eq 'Benchmark'
        $failed.failure.type | Should -Be 'OutOfOrder'
        $failed.failure.'#text' | Should -Match 'MissingReply'
    }

    It 'writes JSON whose histograms round-trip' {
        $file = $results | Export-RapidReport -Path (Join-Path $TestDrive 'r.json')
        $json = Get-Content $file.FullName -Raw | ConvertFrom-Json
        $json | Should -HaveCount 2
        $back = [RapidMessageTools.Metrics.RapidHistogram]::new($json[1].Histogram.Encoded, $json[1].Histogram.TotalCount)
        $back.Summarize().P99 | Should -Be $results[1].Latency.P99
        $back.Summarize().Count | Should -Be 1000
        $json[1].Violations[0].Code | Should -Be 'OutOfOrder'
    }

    It 'writes a Markdown table with one row per result' {
        $file = $results | Export-RapidReport -Path (Join-Path $TestDrive 'r.md')
        $rows = Get-Content $file.FullName | Where-Object { $_ -match '^\| (Sequential|Benchmark) \|' }
        $rows | Should -HaveCount 2
    }

    It 'writes self-contained HTML with a chart per scenario and encodes what it shows' {
        $file = $results | Export-RapidReport -Path (Join-Path $TestDrive 'r.html')
        $html = Get-Content $file.FullName -Raw
        # Per result: the percentile curve and the latency distribution (these results have no timeline to chart).
        ([regex]::Matches($html, '<svg ')).Count | Should -Be 4
        $html | Should -Match 'id="latency-chart-r1-Sequential-1-1"'
        $html | Should -Match '<polyline class="curve" points="'
        $html | Should -Not -Match 'https?://'
        $html | Should -Not -Match '<script|<link'
        $html | Should -Match '&lt;b&gt;&amp;'
    }

    It 'accepts results deserialized by Import-Clixml' {
        $xmlPath = Join-Path $TestDrive 'results.clixml'
        $results | Export-Clixml $xmlPath
        $file = Import-Clixml $xmlPath | Export-RapidReport -Path (Join-Path $TestDrive 'from-clixml.xml')
        ([xml](Get-Content $file.FullName -Raw)).testsuites.testsuite.testcase | Should -HaveCount 2
    }

    It 'refuses to overwrite without -Force, with a stable error id, and overwrites with it' {
        $path = Join-Path $TestDrive 'twice.html'
        $null = $results | Export-RapidReport -Path $path
        { $results | Export-RapidReport -Path $path -ErrorAction Stop } | Should -Throw -ErrorId 'ReportExists*'
        ($results | Export-RapidReport -Path $path -Force).FullName | Should -Be $path
    }

    It 'writes nothing with -WhatIf' {
        $path = Join-Path $TestDrive 'whatif.html'
        $results | Export-RapidReport -Path $path -WhatIf
        Test-Path $path | Should -BeFalse
    }

    It 'takes the format from -Format over the extension' {
        $file = $results | Export-RapidReport -Path (Join-Path $TestDrive 'report.txt') -Format Json
        { Get-Content $file.FullName -Raw | ConvertFrom-Json } | Should -Not -Throw
    }

    It 'escapes Azure Pipelines logging data' {
        [RapidMessageTools.Reporting.AzurePipelinesLog]::LogIssue("a;b]c`r`nd%") | Should -Be '##vso[task.logissue type=error]a%3Bb%5Dc%0D%0Ad%AZP25'
    }
}

Describe 'Export-RapidReport with real results' -Tag 'Integration' {
    BeforeAll {
        $server = Start-RapidMockServer
        $real = Invoke-RapidScenario Sequential -Url $server.Url -MessageCount 50
    }
    AfterAll {
        $server | Stop-RapidMockServer
    }

    It 'reports a real run' {
        $file = $real | Export-RapidReport -Path (Join-Path $TestDrive 'real.html')
        (Get-Content $file.FullName -Raw) | Should -Match 'id="latency-chart-r1-Sequential-1-1"'
    }

    It 'renders in headless Chromium with the chart drawn' -Tag 'Browser' {
        $chromium = Get-Command chromium, chromium-browser -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
        if (-not $chromium) {
            Set-ItResult -Skipped -Because 'Chromium is not installed (apt-get install chromium; .ci/run installs it)'
            return
        }
        $file = $real | Export-RapidReport -Path (Join-Path $TestDrive 'browser.html') -Force
        $chromeProfile = Join-Path $TestDrive 'chromium-profile'
        $psi = [Diagnostics.ProcessStartInfo]::new($chromium.Source)
        foreach ($arg in '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
            '--disable-sync', '--no-first-run', "--user-data-dir=$chromeProfile", '--dump-dom', $file.FullName) { $psi.ArgumentList.Add($arg) }
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $psi.UseShellExecute = $false
        $p = [Diagnostics.Process]::Start($psi)
        $dom = $p.StandardOutput.ReadToEndAsync()
        $null = $p.StandardError.ReadToEndAsync()
        if (-not $p.WaitForExit(60000)) { $p.Kill($true); throw 'Chromium did not finish in 60 s.' }
        $dom.Result | Should -Match 'id="latency-chart-r1-Sequential-1-1"'
        $dom.Result | Should -Match '<polyline class="curve" points="[0-9., ]+"'
    }
}

Describe 'The release report of a staged run' -Tag 'Integration' {
    BeforeAll {
        $server = Start-RapidMockServer -ResponseDelay 0.005
        $staged = Invoke-RapidScenario Benchmark -Url $server.Url -Connections 2 -Stage @{ Duration = 1; Rate = 100 }, @{ Duration = 1.5; RampTo = 600 } -TimelineInterval 0.25 -MaxLatency 0.05
        $quick = Invoke-RapidScenario Sequential -Url $server.Url -MessageCount 20
        $again = Invoke-RapidScenario Sequential -Url $server.Url -MessageCount 20
        $failing = Invoke-RapidScenario Sequential -Url $server.Url -MessageCount 20 -MaxLatency 0.000001
        $html = Get-Content ($quick, $staged, $again, $failing | Export-RapidReport -Path (Join-Path $TestDrive 'release.html')).FullName -Raw
    }
    AfterAll {
        $server | Stop-RapidMockServer
    }

    It 'opens with the verdict, the totals, the environment and the module version' {
        $html | Should -Match '<p class="verdict fail" id="verdict">Failed: '
        $html | Should -Match '<th>Messages</th><td>\d+ sent, \d+ delivered, \d+ rejected, \d+ lost</td>'
        $html | Should -Match ('<th>Module</th><td>RapidMessageTools ' + [regex]::Escape((Get-Module RapidMessageTools).Version.ToString()))
        $html | Should -Match '<th>Machine</th><td>.+cores\)'
    }

    It 'puts failures first and gives every result its own anchor' {
        $sections = [regex]::Matches($html, '<section id="([^"]+)"') | ForEach-Object { $_.Groups[1].Value }
        $sections | Should -HaveCount 4
        $failing.Outcome | Should -Be 'Failed'
        $quick.Outcome | Should -Be 'Passed'
        [array]::IndexOf($sections, 'r4-Sequential-1-1') | Should -BeLessThan ([array]::IndexOf($sections, 'r1-Sequential-1-1'))
        [array]::IndexOf($sections, 'r4-Sequential-1-1') | Should -BeLessThan ([array]::IndexOf($sections, 'r3-Sequential-1-1'))
        ($sections | Sort-Object -Unique) | Should -HaveCount 4
        $html | Should -Match 'href="#r1-Sequential-1-1"'
        $html | Should -Match 'href="#r3-Sequential-1-1"'
    }

    It 'charts throughput, latency with its limit, and errors over time, with the stages marked' {
        foreach ($chart in 'throughput', 'latency', 'errors', 'distribution') { $html | Should -Match "id=`"r2-Benchmark-1-1-$chart`"" }
        $html | Should -Match 'latency-chart-r2-Benchmark-1-1'
        $html | Should -Match '<line class="limit"[^>]+/><text[^>]*>limit p99 50 ms</text>'
        $html | Should -Match '>stage 2</text>'
        $html | Should -Match '<polyline class="delivered" points="[0-9., ]+"'
        $html | Should -Match '<polyline class="p99" points="[0-9., ]+"'
    }

    It 'shows only the settings that applied, and the run''s true duration' {
        $html | Should -Match 'Stages: 1\) 1 s at 100 msg/s; 2\) 1.5 s ramp 100 -&gt; 600 msg/s'
        $html | Should -Not -Match 'Users 0|BurstSize 0|Rate 0'
        $html | Should -Match ('The run took ' + [regex]::Escape($staged.Duration.ToString([cultureinfo]::InvariantCulture)) + ' s: ')
        $html | Should -Not -Match 'https?://(?!127\.0\.0\.1)'
        $html | Should -Not -Match '<script|<link'
    }

    It 'gives Markdown a table per interval group and JSON the timeline' {
        $md = Get-Content ($staged | Export-RapidReport -Path (Join-Path $TestDrive 'staged.md')).FullName -Raw
        $md | Should -Match '### Benchmark over time \(\d+ intervals of 0.25 s'
        $json = Get-Content ($staged | Export-RapidReport -Path (Join-Path $TestDrive 'staged.json')).FullName -Raw | ConvertFrom-Json
        $json[0].Timeline.Count | Should -Be $staged.Timeline.Count
        $json[0].Timeline[2].EncodedHistogram | Should -Be $staged.Timeline[2].EncodedHistogram
        $json[0].Parameters.Stages[1].EndRate | Should -Be 600
    }

    It 'renders in headless Chromium: every chart drawn, nothing clipped' -Tag 'Browser' {
        $chromium = Get-Chromium
        if (-not $chromium) {
            Set-ItResult -Skipped -Because 'Chromium is not installed (apt-get install chromium; .ci/run installs it)'
            return
        }
        $shot = Join-Path ([IO.Path]::GetTempPath()) 'rapid-release-report.png'
        $dom = Invoke-ChromiumProbe $chromium.Source $html $TestDrive 'release-browser' $shot
        $shot | Should -Exist
        (Get-Item $shot).Length | Should -BeGreaterThan 10000
        $dom | Should -Match 'data-clipped="none"'
        $dom | Should -Match '<polyline class="p99" points="[0-9., ]+"'
    }
}

Describe 'Export-RapidReport with streamed replies' -Tag 'Integration' {
    BeforeAll {
        $server = Start-RapidMockServer -StreamChunks 5
        $streamed = Invoke-RapidScenario Streaming -Url $server.Url -MessageCount 12 -MaxChunkGap 1.5
        $plain = New-Result 'Sequential' $true (1..50)
    }
    AfterAll {
        $server | Stop-RapidMockServer
    }

    It 'shows time to first chunk and chunk gaps beside reply latency in HTML, only where replies streamed' {
        $file = $streamed, $plain | Export-RapidReport -Path (Join-Path $TestDrive 's.html')
        $html = Get-Content $file.FullName -Raw
        $html | Should -Match '<table class="streams" id="streams-r\d+-Streaming-1-1">'
        $html | Should -Match 'Reply latency \(to the final frame\)'
        $html | Should -Match ('<td>Time to first chunk</td><td>' + [regex]::Escape([string]$streamed.FirstChunkLatency.P50))
        $html | Should -Match '<td>Chunk gap</td>'
        $html | Should -Not -Match 'streams-Sequential'
        $html | Should -Match 'MaxChunkGap 1.5 s'
    }

    It 'carries the stream thresholds in JUnit (testcase properties) and Markdown' {
        [xml] $xml = Get-Content ($streamed, $plain | Export-RapidReport -Path (Join-Path $TestDrive 's.xml')).FullName -Raw
        $case = $xml.testsuites.testsuite.testcase | Where-Object name -EQ 'Streaming'
        ($case.properties.property | Where-Object name -EQ 'threshold.MaxChunkGap').value | Should -Be '1.5'
        ($case.properties.property | Where-Object name -EQ 'threshold.MaxFirstChunkLatency').value | Should -Be '1'
        $case.'system-out' | Should -Match 'time to first chunk p50'
        $md = Get-Content ($streamed, $plain | Export-RapidReport -Path (Join-Path $TestDrive 's.md')).FullName -Raw
        $md | Should -Match '\| Streaming \| 12 / 0 / 0 \| 60 \|'
        $md | Should -Match 'Streaming: Thresholds: .*MaxFirstChunkLatency 1 s at p99, MaxChunkGap 1.5 s'
    }

    It 'writes the stream figures and histograms to JSON, null where nothing streamed' {
        $json = Get-Content ($streamed, $plain | Export-RapidReport -Path (Join-Path $TestDrive 's.json')).FullName -Raw | ConvertFrom-Json
        $json[0].FirstChunkHistogram.TotalCount | Should -Be 12
        $json[0].ChunksDelivered | Should -Be 60
        $json[0].Thresholds.MaxChunkGap | Should -Be 1.5
        $json[1].FirstChunkLatency | Should -BeNullOrEmpty
    }
}
