# The README's "Using it" block is the first thing a new user runs: run verbatim in a fresh pwsh from the
# clone's root, every scenario it runs must pass (its mock streams, so Streaming and StreamCancel are provoked).
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll are read in It blocks, which the rule does not follow')]
param()

BeforeAll {
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
        foreach ($r in $results) { $r.Outcome | Should -Be 'Passed' -Because "$($r.Scenario): $($r.Violations)" }
    }
}
