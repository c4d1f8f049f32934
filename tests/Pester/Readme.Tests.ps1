# The README's "Using it" block is the first thing a new user runs: run verbatim in a fresh pwsh from the
# clone's root, every scenario it runs must pass (its mock streams, so Streaming and StreamCancel are provoked; see
# Assert-ReadmeOutcome for the two honest exceptions).
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll are read in It blocks, which the rule does not follow')]
param()

BeforeAll {
    # Every scenario the README runs passes. Two exceptions are honest, not flakes to hide: the README's mock
    # answers at once and streams its 4 chunks back to back, so on a busy machine every cancel StreamCancel
    # sends can arrive after its stream ended, and QueueOverflow's flood can be drained as fast as it comes.
    # The scenario then proves nothing and says so (Inconclusive, NotProvoked, naming what did not happen);
    # anything else is a failure.
    function Assert-ReadmeOutcome($r) {
        $honest = @{
            StreamCancel  = '^NotProvoked: .*came after their stream had ended'
            QueueOverflow = '^NotProvoked: no queue_full was seen .*the server drained faster than the flood'
        }
        if ($honest.ContainsKey($r.Scenario) -and $r.Outcome -eq 'Inconclusive') {
            $r.Violations | Should -Match $honest[$r.Scenario] -Because "$($r.Scenario) may only be Inconclusive because it could not provoke what it tests"
            return
        }
        $r.Outcome | Should -Be 'Passed' -Because "$($r.Scenario): $($r.Violations)"
    }
    Import-Module RapidMessageTools -Force
    . (Join-Path $PSScriptRoot 'Support/FreshPwsh.ps1')
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
}

Describe 'The README''s "Using it" block' -Tag 'Integration', 'Slow' {
    It 'runs verbatim and every scenario it runs is Passed' {
        $text = (Get-Content (Join-Path $root 'README.md') -Raw) -replace "`r`n", "`n"
        $section = $text.Substring($text.IndexOf("## Using it`n"))
        $block = [regex]::Match($section, '(?m)^```powershell\n([\s\S]*?)\n```').Groups[1].Value
        $block | Should -Match 'Get-RapidScenario \| Invoke-RapidScenario'
        # The block runs as written; Format-Table is wrapped only to keep the results it shows.
        $command = @"
`$ErrorActionPreference = 'Stop'
`$shown = [Collections.Generic.List[object]]::new()
function Format-Table { `$all = @(`$input); `$all | ForEach-Object { `$shown.Add(`$_) }; `$all | Microsoft.PowerShell.Utility\Format-Table }
`$direct = & {
$block
}
`$results = @(`$shown) + @(`$direct) | Where-Object { `$_ -is [RapidMessageTools.Results.RapidScenarioResult] }
'RESULTS:' + (ConvertTo-Json -Compress -InputObject @(`$results | ForEach-Object { [pscustomobject]@{ Scenario = `$_.Scenario; Outcome = "`$(`$_.Outcome)"; Violations = (`$_.Violations -join '; ') } }))
"@
        $clean = @{ E2E_WEBSOCKET_URL = $null; E2E_BACKEND_URL = $null; E2E_AUTH_SERVICE_URL = $null; RAPID_MESSAGE_TEST_MODE = $null }
        foreach ($v in 'RAPID_TEST_MAX_LATENCY', 'RAPID_TEST_MIN_THROUGHPUT', 'RAPID_TEST_MIN_DELIVERY_RATIO', 'RAPID_TEST_MAX_MEMORY_GROWTH', 'RAPID_TEST_MAX_FIRST_CHUNK_LATENCY', 'RAPID_TEST_MAX_CHUNK_GAP') { $clean[$v] = $null }
        $run = Invoke-FreshPwsh -Command $command -WorkingDirectory $root -Environment $clean -TimeoutSec 240
        $run.ExitCode | Should -Be 0 -Because $run.StdErr
        $line = @($run.StdOut -split "`n" | Where-Object { $_.StartsWith('RESULTS:') })[0]
        $line | Should -Not -BeNullOrEmpty -Because $run.StdOut
        $results = @($line.Substring(8) | ConvertFrom-Json)
        $scenarios = @(Get-RapidScenario).Name
        @($results.Scenario | Sort-Object -Unique) | Should -Be @($scenarios | Sort-Object) -Because 'the block runs every scenario'
        $results.Count | Should -Be ($scenarios.Count + 1) -Because 'and Sequential once more'
        foreach ($r in $results) { Assert-ReadmeOutcome $r }
    }
}

Describe 'The README''s "Testing your own backend" blocks' -Tag 'Integration', 'Slow' {
    It 'run verbatim: the profile checks out, its mappings match the mock''s frames, and every scenario passes through it' {
        $text = (Get-Content (Join-Path $root 'README.md') -Raw) -replace "`r`n", "`n"
        $section = $text.Substring($text.IndexOf("## Testing your own backend`n"))
        $section = $section.Substring(0, $section.IndexOf("`n## ", 10))
        $blocks = @([regex]::Matches($section, '(?m)^```powershell\n([\s\S]*?)\n```') | ForEach-Object { $_.Groups[1].Value })
        $blocks | Should -HaveCount 2
        $command = @"
`$ErrorActionPreference = 'Stop'
`$shown = [Collections.Generic.List[object]]::new()
function Format-Table { `$all = @(`$input); `$all | ForEach-Object { `$shown.Add(`$_) }; `$all | Microsoft.PowerShell.Utility\Format-Table }
`$null = & {
$($blocks[0])
$($blocks[1])
}
`$results = @(`$shown | Where-Object { `$_ -is [RapidMessageTools.Results.RapidScenarioResult] })
`$rows = @(`$shown | Where-Object { `$_ -is [RapidMessageTools.TestEnvironment.RapidProtocolMessageCheck] })
'RESULTS:' + (ConvertTo-Json -Compress -InputObject @(`$results | ForEach-Object { [pscustomobject]@{ Scenario = `$_.Scenario; Outcome = "`$(`$_.Outcome)"; Violations = (`$_.Violations -join '; ') } }))
'ROWS:' + (ConvertTo-Json -Compress -InputObject @(`$rows | ForEach-Object { [pscustomobject]@{ Message = `$_.Message; Status = `$_.Status } }))
"@
        $run = Invoke-FreshPwsh -Command $command -WorkingDirectory $root -Environment @{ E2E_WEBSOCKET_URL = $null; RAPID_TEST_PROTOCOL = $null; RAPID_MESSAGE_TEST_MODE = $null } -TimeoutSec 300
        $run.ExitCode | Should -Be 0 -Because $run.StdErr
        $lines = $run.StdOut -split "`n"
        $results = @((@($lines | Where-Object { $_.StartsWith('RESULTS:') })[0]).Substring(8) | ConvertFrom-Json)
        $rows = @((@($lines | Where-Object { $_.StartsWith('ROWS:') })[0]).Substring(5) | ConvertFrom-Json)
        $scenarios = @(Get-RapidScenario).Name
        $results.Count | Should -Be (2 * $scenarios.Count) -Because 'every scenario runs once through acme and once through SignalR'
        foreach ($r in $results) { Assert-ReadmeOutcome $r }
        ($rows | Where-Object Message -eq 'ai_response').Status | Should -Be 'Matched'
        @($rows | Where-Object Status -eq 'Mismatch') | Should -BeNullOrEmpty
    }
}

Describe 'The README''s "Catching regressions in a pipeline" block' -Tag 'Integration', 'Slow' {
    It 'runs verbatim: the history is saved, compared metric by metric, the gated run passes (or regresses on latency alone when the machine got busier) and is drawn over the history and in its trend' {
        $text = (Get-Content (Join-Path $root 'README.md') -Raw) -replace "`r`n", "`n"
        $section = $text.Substring($text.IndexOf("## Catching regressions in a pipeline`n"))
        $section = $section.Substring(0, $section.IndexOf("`n## ", 10))
        $blocks = @([regex]::Matches($section, '(?m)^```powershell\n([\s\S]*?)\n```') | ForEach-Object { $_.Groups[1].Value })
        $blocks | Should -HaveCount 1
        $blocks[0] | Should -Match 'Export-RapidResult' -Because 'the three commands: save on main'
        $blocks[0] | Should -Match 'Compare-RapidResult' -Because 'compare on a pull request'
        $blocks[0] | Should -Match '-Baseline \./history .*-ErrorOnFailure' -Because 'fail the run'
        # The gate compares this machine now with this machine a minute ago, while other test files run beside it: when
        # the machine got busier in between, the gated run is rightly Regression on latency or throughput, and
        # -ErrorOnFailure stops the block there. A trap (the wrapper's, the block is unchanged) keeps the result the gate
        # failed on as `$run and goes on with the block's next line, so its reports are made and checked either way;
        # the test then accepts that result only when it failed on Regression of latency or throughput alone. Any other
        # error stops the block and fails the test.
        $command = @"
`$ErrorActionPreference = 'Stop'
`$shown = [Collections.Generic.List[object]]::new()
function Format-Table { `$all = @(`$input); `$all | ForEach-Object { `$shown.Add(`$_) }; `$all | Microsoft.PowerShell.Utility\Format-Table }
`$gate = ''
`$direct = & {
trap { if (`$_.TargetObject -is [RapidMessageTools.Results.RapidScenarioResult]) { `$global:gate = "`$_"; Set-Variable -Name run -Value `$_.TargetObject -Scope 1; continue }; break }
$($blocks[0])
}
`$rows = @(`$shown | Where-Object { `$_ -is [RapidMessageTools.Baselines.RapidComparison] })
`$results = @(`$direct | Where-Object { `$_ -is [RapidMessageTools.Results.RapidScenarioResult] })
'FILES:' + @(Get-ChildItem ./history -Filter *.json).Count
'ROWS:' + (ConvertTo-Json -Compress -InputObject @(`$rows | ForEach-Object { [pscustomobject]@{ Metric = `$_.Metric; Verdict = "`$(`$_.Verdict)"; BaselineRuns = `$_.BaselineRuns } }))
'RESULTS:' + (ConvertTo-Json -Compress -InputObject @(`$results | ForEach-Object { [pscustomobject]@{ Outcome = "`$(`$_.Outcome)"; Violations = (`$_.Violations -join '; ') } }))
'GATE:' + (`$gate -replace '\s+', ' ')
'OVERLAY:' + [regex]::Matches((Get-Content ./report.html -Raw), '<polyline class="baseline-curve" points="[0-9., ]+"/>').Count
'TREND:' + [regex]::Matches((Get-Content ./trend.html -Raw), '<circle class="point s1[^"]*"').Count + ',' + [regex]::Matches((Get-Content ./trend.html -Raw), '<circle class="point s1[^"]* current"').Count
"@
        $clean = @{ E2E_WEBSOCKET_URL = $null; RAPID_MESSAGE_TEST_MODE = $null; RAPID_TEST_BASELINE = $null }
        $run = Invoke-FreshPwsh -Command $command -WorkingDirectory $TestDrive -Environment $clean -TimeoutSec 240
        $run.ExitCode | Should -Be 0 -Because $run.StdErr
        $lines = $run.StdOut -split "`n"
        (@($lines | Where-Object { $_.StartsWith('FILES:') })[0]).Substring(6) | Should -Be '3'
        $rows = @((@($lines | Where-Object { $_.StartsWith('ROWS:') })[0]).Substring(5) | ConvertFrom-Json)
        $rows.Metric | Should -Contain 'LatencyP99'
        $rows.Metric | Should -Contain 'Throughput'
        ($rows | Where-Object Metric -eq 'LatencyP99').BaselineRuns | Should -Be 3
        $results = @((@($lines | Where-Object { $_.StartsWith('RESULTS:') })[0]).Substring(8) | ConvertFrom-Json)
        $results | Should -HaveCount 1 -Because 'the gated run returns its result (the others went to files and the table)'
        $gate = (@($lines | Where-Object { $_.StartsWith('GATE:') })[0]).Substring(5)
        if ($gate) {
            # Regression, and on nothing but latency percentiles or throughput: what a busier machine moves.
            $results[0].Outcome | Should -Be 'Failed'
            $metrics = @([regex]::Matches($results[0].Violations, '(?:^|; )Regression: (\w+) ') | ForEach-Object { $_.Groups[1].Value })
            $metrics | Should -Not -BeNullOrEmpty -Because $results[0].Violations
            $metrics | ForEach-Object { $_ | Should -Match '^(LatencyP\d+|Throughput)$' -Because $results[0].Violations }
            $results[0].Violations | Should -Not -Match '; (?!Regression: )[A-Z]\w+: ' -Because 'no violation but Regression'
            Write-Warning "The gated run regressed against its history (the machine got busier between them): $gate"
        }
        else {
            $results[0].Outcome | Should -Be 'Passed' -Because $results[0].Violations
        }
        (@($lines | Where-Object { $_.StartsWith('OVERLAY:') })[0]).Substring(8) | Should -Be '1' -Because 'the report draws the history''s curve'
        (@($lines | Where-Object { $_.StartsWith('TREND:') })[0]).Substring(6) | Should -Be '8,2' -Because 'p99 and throughput of the 3 saved runs and this one, this one ringed in both'
    }
}
