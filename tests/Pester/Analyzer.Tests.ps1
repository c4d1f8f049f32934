# PSScriptAnalyzer over the repository: every PowerShell file, and every PowerShell code block of the
# README and the help (what users paste), with the repository's settings. The same check as
# `build.ps1 -Task Analyze`, so the test command runs the analyzer gate too.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
param()

BeforeDiscovery {
    $analyzer = Join-Path $PSScriptRoot '../../tools/Invoke-RepoAnalyzer.ps1'
    $sourceCases = @(& $analyzer -ListOnly | ForEach-Object { @{ Source = $_.Source; Kind = $_.Kind } })
}

Describe 'PSScriptAnalyzer' -Tag 'Analyzer' {
    BeforeAll {
        $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
        $analyzer = Join-Path $root 'tools/Invoke-RepoAnalyzer.ps1'
        # The vendored build is for PowerShell 7; Windows PowerShell needs an installed PSScriptAnalyzer.
        $available = $PSVersionTable.PSEdition -eq 'Core' -or [bool](Get-Module -ListAvailable PSScriptAnalyzer)
        $findings = if ($available) { @(& $analyzer -Root $root) } else { @() }
        $listed = @(& $analyzer -Root $root -ListOnly)
    }

    BeforeEach {
        if (-not $available) {
            Set-ItResult -Skipped -Because 'PSScriptAnalyzer is not installed in this Windows PowerShell (the copy in tools/modules is built for PowerShell 7); the analyzer gate runs under pwsh'
        }
    }

    It 'analyzes the repository''s files and the code blocks of the README and help' {
        @($listed | Where-Object Kind -eq 'File').Count | Should -BeGreaterThan 20
        @($listed | Where-Object Kind -eq 'CodeBlock').Count | Should -BeGreaterThan 20
        @($listed.Source) | Should -Contain 'build.ps1'
        @($listed.Source) | Should -Contain 'README.md#block1'
        @($listed.Source | Where-Object { $_ -like 'tools*modules*' }) | Should -BeNullOrEmpty -Because 'the vendored analyzer is not the repository''s code'
    }

    It 'finds nothing in <Source>' -ForEach $sourceCases {
        $mine = @($findings | Where-Object Source -eq $Source)
        $mine | Should -BeNullOrEmpty -Because (($mine | ForEach-Object { "line $($_.Line) $($_.RuleName): $($_.Message)" }) -join '; ')
    }

    It 'reports a finding where there is one (the check can fail)' {
        $sample = Join-Path $TestDrive 'repo'
        New-Item -ItemType Directory (Join-Path $sample 'help') -Force | Out-Null
        Copy-Item (Join-Path $root 'PSScriptAnalyzerSettings.psd1') $sample
        Set-Content (Join-Path $sample 'bad.ps1') 'function Get-Things { $unused = 1 }'
        Set-Content (Join-Path $sample 'README.md') "# x`n`n``````powershell`n`$x = 1 && 2`n```````n"
        $found = @(& $analyzer -Root $sample)
        ($found | Where-Object Source -eq 'bad.ps1').RuleName | Should -Contain 'PSUseDeclaredVarsMoreThanAssignments'
        ($found | Where-Object Source -eq 'bad.ps1').RuleName | Should -Contain 'PSUseSingularNouns'
        ($found | Where-Object Source -eq 'README.md#block1').RuleName | Should -Contain 'PSUseCompatibleSyntax' -Because '&& is not Windows PowerShell 5.1 syntax'
    }

    It 'excludes no rule wholesale: a rule is suppressed only where a file says why' {
        $settings = Import-PowerShellDataFile (Join-Path $root 'PSScriptAnalyzerSettings.psd1')
        $settings.Keys | Should -Not -Contain 'ExcludeRules'
        $settings.Keys | Should -Not -Contain 'IncludeRules'
        $suppressions = @(Get-ChildItem $root -Recurse -File -Include *.ps1, *.psm1 |
                Where-Object { $_.FullName -notmatch '[\\/](out|bin|obj|tools[\\/]modules)[\\/]' } |
                Select-String -Pattern 'SuppressMessageAttribute\(')
        $suppressions.Count | Should -BeGreaterThan 0
        foreach ($s in $suppressions) {
            $s.Line | Should -Match "Justification = '(?:[^']|''){10,}'" -Because "$($s.Path):$($s.LineNumber) gives its reason"
        }
    }
}
