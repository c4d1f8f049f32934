# In Azure Pipelines ($env:TF_BUILD set) a failed scenario writes one ##vso logissue line per violation.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
param()

Describe 'Azure Pipelines logging' -Tag 'Integration' {
    BeforeAll {
        $root = Resolve-Path (Join-Path $PSScriptRoot '../..')
        function Invoke-Child([string] $Command) {
            $psi = [Diagnostics.ProcessStartInfo]::new('dotnet')
            foreach ($arg in 'pwsh', '-NoProfile', '-NonInteractive', '-Command', $Command) { $psi.ArgumentList.Add($arg) }
            $psi.WorkingDirectory = $root
            $psi.UseShellExecute = $false
            $psi.RedirectStandardOutput = $true
            $psi.Environment['TF_BUILD'] = 'True'
            $p = [Diagnostics.Process]::Start($psi)
            $out = $p.StandardOutput.ReadToEndAsync()
            if (-not $p.WaitForExit(60000)) { $p.Kill(); throw 'The child pwsh did not finish in 60 s.' }
            $out.Result -split "`n"
        }
        $script = {
            param($extra)
            "Import-Module RapidMessageTools; `$s = Start-RapidMockServer -Fault @{ ReorderReplies = 0.05; Seed = 3 }; " +
            "`$null = Invoke-RapidScenario Sequential -Url `$s.Url -MessageCount 300 $extra; `$s | Stop-RapidMockServer"
        }
    }

    It 'writes one logissue error line per violation, naming the scenario' {
        $lines = Invoke-Child (& $script '')
        $issues = @($lines | Where-Object { $_ -like '##vso`[task.logissue type=error`]*' })
        $issues.Count | Should -BeGreaterThan 0
        $issues[0] | Should -BeLike '*Sequential: OutOfOrder: *'
        $issues | ForEach-Object { $_ | Should -Not -Match "`r|;" }
    }

    It 'writes none with -NoPipelineLogging' {
        $lines = Invoke-Child (& $script '-NoPipelineLogging')
        @($lines | Where-Object { $_ -like '##vso*' }).Count | Should -Be 0
    }
}
