<#
.SYNOPSIS
    The one entry point: build, test, analyze, demo, benchmark and package RapidMessageTools.
.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Task Test
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Test -Tag Unit -ExcludeTag Slow
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSReviewUnusedParameter', '', Justification = 'the task functions read the script''s parameters')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingWriteHost', '', Justification = 'talks to the person running it; results go to files and the pipeline')]
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Analyze', 'Demo', 'Bench', 'Package')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Pester tags to run / to leave out (Test only).
    [string[]] $Tag,
    [string[]] $ExcludeTag,

    # Bench only: the 5-minute soak with random faults instead of the benchmark set.
    [switch] $Soak,

    # Bench only: run each measurement this many times and report the median.
    [ValidateRange(1, 20)]
    [int] $Repeat = 3
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
# From a shell (pwsh -File), -Tag A,B arrives as one string.
if ($Tag) { $Tag = $Tag -split ',' | Where-Object { $_ } }
if ($ExcludeTag) { $ExcludeTag = $ExcludeTag -split ',' | Where-Object { $_ } }

$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleOut = Join-Path $Out 'RapidMessageTools'
$PesterVersion = '5.9.1'

# The files a loadable module needs; the build fails when one is missing.
$ModuleFiles = @(
    'RapidMessageTools.psd1'
    'RapidMessageTools.Format.ps1xml'
    'RapidMessageTools.Types.ps1xml'
    'RapidMessageTools.dll'
    'HdrHistogram.dll'
    'System.Text.Json.dll'
    'System.Text.Encodings.Web.dll'
    'System.Memory.dll'
    'System.Buffers.dll'
    'System.Numerics.Vectors.dll'
    'System.Runtime.CompilerServices.Unsafe.dll'
    'System.Threading.Tasks.Extensions.dll'
    'Microsoft.Bcl.AsyncInterfaces.dll'
    'en-US/RapidMessageTools.dll-Help.xml'
    'en-US/about_RapidMessageTools.help.txt'
)

function Invoke-Native {
    param([string] $File, [string[]] $Arguments)
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') failed with exit code $LASTEXITCODE." }
}

# Runs a script in a fresh pwsh (a loaded dll cannot be unloaded), with the built module first on PSModulePath.
function Invoke-FreshPwsh {
    param([string] $Command)
    $sep = [IO.Path]::PathSeparator
    $saved = $env:PSModulePath
    try {
        $env:PSModulePath = $Out + $sep + $env:PSModulePath
        Push-Location $Root
        & dotnet pwsh -NoProfile -NonInteractive -Command $Command | Out-Host
        return $LASTEXITCODE
    }
    finally {
        Pop-Location
        $env:PSModulePath = $saved
    }
}

function Invoke-Build {
    $publish = Join-Path $Root "obj/publish/$Configuration"
    Invoke-Native dotnet @('publish', (Join-Path $Root 'src/RapidMessageTools/RapidMessageTools.csproj'), '-c', $Configuration, '-o', $publish, '--nologo', '-v', 'quiet')

    if (Test-Path $ModuleOut) { Remove-Item $ModuleOut -Recurse -Force }
    New-Item -ItemType Directory -Path (Join-Path $ModuleOut 'en-US') -Force | Out-Null

    Copy-Item (Join-Path $Root 'module/RapidMessageTools.psd1') $ModuleOut
    Copy-Item (Join-Path $Root 'module/RapidMessageTools.Format.ps1xml') $ModuleOut
    Copy-Item (Join-Path $Root 'module/RapidMessageTools.Types.ps1xml') $ModuleOut
    Get-ChildItem $publish -Filter *.dll | Where-Object Name -ne 'System.Management.Automation.dll' | Copy-Item -Destination $ModuleOut

    # Help: MAML and about_ topic generated from the Markdown source in help/.
    & (Join-Path $Root 'help/Build-Help.ps1') -Source (Join-Path $Root 'help') -Destination (Join-Path $ModuleOut 'en-US')

    $missing = $ModuleFiles | Where-Object { -not (Test-Path (Join-Path $ModuleOut $_)) }
    if ($missing) { throw "The module folder lacks: $($missing -join ', ')." }
    Write-Host "Built $ModuleOut ($Configuration)."
}

function Get-PesterPath {
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages' }
    $manifest = Join-Path $packages "pester/$PesterVersion/tools/Pester.psd1"
    if (-not (Test-Path $manifest)) {
        Invoke-Native dotnet @('restore', (Join-Path $Root 'tools.proj'), '--nologo', '-v', 'quiet')
    }
    if (-not (Test-Path $manifest)) { throw "Pester $PesterVersion was not restored to $manifest; check the NuGet feed." }
    $manifest
}

function Invoke-Test {
    Invoke-Build
    $pester = Get-PesterPath
    $results = Join-Path $Out 'TestResults'
    New-Item -ItemType Directory -Path $results -Force | Out-Null
    $tagList = if ($Tag) { "@('" + ($Tag -join "','") + "')" } else { '@()' }
    $excludeList = if ($ExcludeTag) { "@('" + ($ExcludeTag -join "','") + "')" } else { '@()' }
    $command = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$pester' -Force
`$c = New-PesterConfiguration
`$c.Run.Path = '$(Join-Path $Root 'tests/Pester')'
`$c.Run.PassThru = `$true
`$c.Output.Verbosity = 'Detailed'
`$c.Filter.Tag = $tagList
`$c.Filter.ExcludeTag = $excludeList
`$c.TestResult.Enabled = `$true
`$c.TestResult.OutputFormat = 'NUnitXml'
`$c.TestResult.OutputPath = '$(Join-Path $results 'TestResults.NUnit.xml')'
`$r = Invoke-Pester -Configuration `$c
`$r | Export-JUnitReport -Path '$(Join-Path $results 'TestResults.JUnit.xml')'
if (`$r.Result -ne 'Passed' -or `$r.FailedCount -gt 0 -or `$r.FailedBlocksCount -gt 0 -or `$r.FailedContainersCount -gt 0) { exit 1 }
exit 0
"@
    $code = Invoke-FreshPwsh $command
    Write-Host "Test results: $results"
    if ($code -ne 0) { throw "Tests failed (exit code $code)." }
}

function Invoke-Analyze {
    # PSScriptAnalyzer over every PowerShell file and the README's and help's code blocks; an installed
    # PSScriptAnalyzer, else the copy in tools/modules (README: "Analyzer").
    $findings = @(& (Join-Path $Root 'tools/Invoke-RepoAnalyzer.ps1') -Root $Root)
    if ($findings.Count -gt 0) {
        $findings | Format-Table Source, Line, RuleName, Message -AutoSize -Wrap | Out-String -Width 200 | Write-Host
        throw "PSScriptAnalyzer found $($findings.Count) issue(s): fix them, or suppress the rule where it is wrong with a SuppressMessageAttribute and a reason."
    }
    Write-Host 'PSScriptAnalyzer: no findings.'
}

function Invoke-Demo {
    Invoke-Build
    $code = Invoke-FreshPwsh "& '$(Join-Path $Root 'bench/Demo.ps1')' -ReportPath '$(Join-Path $Out 'demo-report.html')'"
    if ($code -ne 0) { throw "The demo failed (exit code $code)." }
}

function Invoke-Bench {
    $script:Configuration = 'Release'
    Invoke-Build
    $resultsDir = Join-Path $Root 'bench/results'
    New-Item -ItemType Directory -Path $resultsDir -Force | Out-Null
    $script = if ($Soak) { 'bench/Soak.ps1' } else { 'bench/Bench.ps1' }
    $code = Invoke-FreshPwsh "& '$(Join-Path $Root $script)' -ResultsDirectory '$resultsDir' -Repeat $Repeat"
    if ($code -ne 0) { throw "The benchmark failed (exit code $code)." }
}

function Invoke-Package {
    Invoke-Build
    $zip = Join-Path $Out "RapidMessageTools-$((Import-PowerShellDataFile (Join-Path $Root 'module/RapidMessageTools.psd1')).ModuleVersion).zip"
    if (Test-Path $zip) { Remove-Item $zip }
    Compress-Archive -Path $ModuleOut -DestinationPath $zip
    Write-Host "Packaged $zip"
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Analyze' { Invoke-Analyze }
    'Demo' { Invoke-Demo }
    'Bench' { Invoke-Bench }
    'Package' { Invoke-Package }
}
