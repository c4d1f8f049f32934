# The package as a user gets it: build.ps1 -Task Package (run by -Task Test) makes a .nupkg; a fresh
# pwsh, with a module path and PSResourceGet settings of its own, registers that folder as a repository,
# installs the module with Install-PSResource, imports it by name from a folder outside the clone, and
# runs the demo and the Pester suite shipped in the installed module.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll are read in It blocks, which the rule does not follow')]
param()

BeforeAll {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    . (Join-Path $PSScriptRoot 'Helpers/FreshPwsh.ps1')
    $version = ([xml] (Get-Content (Join-Path $root 'Directory.Build.props') -Raw)).Project.PropertyGroup.Version | Where-Object { $_ } | Select-Object -First 1
    $built = Join-Path $root 'out/RapidMessageTools'
}

Describe 'The built module' -Tag 'Unit', 'Package' {
    It 'carries the version of Directory.Build.props in its manifest and its assembly' {
        $manifest = Import-PowerShellDataFile (Join-Path $built 'RapidMessageTools.psd1')
        $manifest.ModuleVersion | Should -Be $version
        $assembly = [Reflection.AssemblyName]::GetAssemblyName((Join-Path $built 'RapidMessageTools.dll'))
        $assembly.Version | Should -Be ([version] "$version.0")
        (Get-Item (Join-Path $built 'RapidMessageTools.dll')).VersionInfo.ProductVersion | Should -BeLike "$version*"
    }

    It 'keeps the version only in Directory.Build.props: the source manifest holds the placeholder' {
        $source = Import-PowerShellDataFile (Join-Path $root 'module/RapidMessageTools.psd1')
        $source.ModuleVersion | Should -Be '0.0.0'
        $source.PrivateData.PSData.ReleaseNotes | Should -Be ''
    }

    It 'has a complete and true manifest' {
        $m = Test-ModuleManifest (Join-Path $built 'RapidMessageTools.psd1') -ErrorAction Stop
        $data = Import-PowerShellDataFile (Join-Path $built 'RapidMessageTools.psd1')
        $data.PowerShellVersion | Should -Be '5.1'
        $data.CompatiblePSEditions | Should -Be @('Desktop', 'Core')
        $data.Copyright | Should -Match 'MIT'
        $data.PrivateData.PSData.Tags | Should -Contain 'WebSocket'
        $data.PrivateData.PSData.Keys | Should -Not -Contain 'ProjectUri' -Because 'the project has no public home yet; a placeholder address is not true'
        $notes = $data.PrivateData.PSData.ReleaseNotes
        $notes | Should -Not -BeNullOrEmpty
        (Get-Content (Join-Path $root 'CHANGELOG.md') -Raw) | Should -Match "(?m)^## $([regex]::Escape($version))\b"
        (Get-Content (Join-Path $root 'CHANGELOG.md') -Raw).Replace("`r`n", "`n") | Should -BeLike "*$($notes.Replace("`r`n", "`n"))*"
        $m.ExportedCmdlets.Keys | Should -Contain 'Merge-RapidResult'
        Join-Path $built 'LICENSE' | Should -Exist
        (Get-Content (Join-Path $root 'LICENSE') -Raw) | Should -Match '^MIT License'
    }

    It 'ships the demo and the Pester suite to copy, as they are in the repository' {
        (Get-FileHash (Join-Path $built 'Examples/RapidMessageSuccession.Tests.ps1')).Hash |
            Should -Be (Get-FileHash (Join-Path $root 'tests/Pester/RapidMessageSuccession.Tests.ps1')).Hash
        (Get-FileHash (Join-Path $built 'Examples/Demo.ps1')).Hash | Should -Be (Get-FileHash (Join-Path $root 'bench/Demo.ps1')).Hash
    }
}

Describe 'Install-PSResource from the package' -Tag 'Integration', 'Package', 'Slow' {
    BeforeAll {
        $nupkg = Join-Path $root "out/packages/RapidMessageTools.$version.nupkg"
        $pester = (Get-Module Pester).Path
        $canRun = $PSVersionTable.PSEdition -eq 'Core' -and [bool](Get-Module -ListAvailable Microsoft.PowerShell.PSResourceGet)
    }

    It 'installs into a clean module path, imports by name outside the clone, runs the demo and the suite' {
        if (-not $canRun) {
            Set-ItResult -Skipped -Because 'this test starts PowerShell 7 with PSResourceGet (it ships with PowerShell 7.4+); Windows PowerShell 5.1 has neither'
            return
        }
        $nupkg | Should -Exist -Because 'build.ps1 -Task Package (and -Task Test) makes it'
        $repo = Join-Path $TestDrive 'repo'
        New-Item -ItemType Directory $repo | Out-Null
        Copy-Item $nupkg $repo
        $work = Join-Path $TestDrive 'work'
        $home_ = Join-Path $TestDrive 'home'
        New-Item -ItemType Directory $work, $home_ | Out-Null

        # The README's install example, with the clone's path replaced by the folder holding the package.
        $text = (Get-Content (Join-Path $root 'README.md') -Raw) -replace "`r`n", "`n"
        $example = @([regex]::Matches($text, '(?m)^```powershell\n([\s\S]*?)\n```') | ForEach-Object { $_.Groups[1].Value } | Where-Object { $_.Contains('Install-PSResource') })[0]
        $example | Should -Not -BeNullOrEmpty -Because 'the README shows how to install the package'
        $example.Contains("'/path/to/clone/out/packages'") | Should -BeTrue
        $example = $example.Replace("'/path/to/clone/out/packages'", "'$repo'")

        $environment = @{ PSModulePath = $null }
        if ($IsWindows) {
            # Windows has no per-process user folders: install with Save-PSResource into a clean folder.
            $example = $example.Replace('Install-PSResource RapidMessageTools -Repository RapidLocal', "Save-PSResource RapidMessageTools -Repository RapidLocal -Path '$home_' -IncludeXml; `$env:PSModulePath = '$home_' + [IO.Path]::PathSeparator + `$env:PSModulePath")
            $example += "`nUnregister-PSResourceRepository -Name RapidLocal"
        }
        else {
            # A HOME of its own: PSResourceGet's settings and the CurrentUser module path are under it.
            $environment.HOME = $home_
            $environment.XDG_DATA_HOME = $null
            $environment.XDG_CONFIG_HOME = $null
            $environment.XDG_CACHE_HOME = $null
        }
        $script = @"
`$ErrorActionPreference = 'Stop'
$example
`$m = Get-Module RapidMessageTools
`$demo = & (Join-Path `$m.ModuleBase 'Examples/Demo.ps1') -ReportPath (Join-Path '$work' 'demo.html') *>&1 | Out-String
`$demoPassed = `$?
Import-Module '$pester'
`$suite = Invoke-Pester -Path (Join-Path '$work' 'RapidMessageSuccession.Tests.ps1') -PassThru -Output None
'RESULT:' + ([pscustomobject]@{
    ModuleBase = `$m.ModuleBase
    Version = "`$(`$m.Version)"
    Installed = @(Get-Module -ListAvailable RapidMessageTools).Count
    DemoPassed = `$demoPassed
    Demo = `$demo
    Passed = `$suite.PassedCount
    Failed = `$suite.FailedCount
    Skipped = `$suite.SkippedCount
    NotRun = `$suite.NotRunCount
    Result = `$suite.Result
} | ConvertTo-Json -Compress)
"@
        $run = Invoke-FreshPwsh -Command $script -WorkingDirectory $work -Environment $environment -TimeoutSec 600
        $line = @($run.StdOut -split "`n" | Where-Object { $_.StartsWith('RESULT:') })
        $line.Count | Should -Be 1 -Because "the fresh pwsh ends with its result (exit $($run.ExitCode); stderr: $($run.StdErr); stdout: $($run.StdOut))"
        $r = $line[0].Substring(7) | ConvertFrom-Json
        $r.ModuleBase | Should -BeLike "$home_*" -Because 'the module imported by name is the installed copy, not the clone''s'
        $r.Version | Should -Be $version
        $r.Installed | Should -Be 1 -Because 'the clean module path holds only the installed copy'
        $r.DemoPassed | Should -BeTrue -Because $r.Demo
        $r.Result | Should -Be 'Passed'
        $r.Failed | Should -Be 0
        $r.Skipped | Should -Be 0 -Because 'in mock mode every test of the suite runs'
        $r.Passed | Should -BeGreaterOrEqual 7
        $run.ExitCode | Should -Be 0
    }
}
