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

    # Test only: how many test files run at once, each in its own pwsh.
    [ValidateRange(1, 16)]
    [int] $TestProcesses = 5,

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
    'LICENSE'
    'Examples/Demo.ps1'
    'Examples/RapidMessageSuccession.Tests.ps1'
    'Examples/acme.json'
    'Examples/signalr-chat.json'
)

# The version lives in one place, Directory.Build.props: the build stamps it into the assembly (MSBuild)
# and into the manifest (below), with the release notes of that version from CHANGELOG.md.
$Version = ([xml] (Get-Content (Join-Path $Root 'Directory.Build.props') -Raw)).Project.PropertyGroup.Version | Where-Object { $_ } | Select-Object -First 1
if (-not $Version) { throw 'Directory.Build.props has no <Version>.' }

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

    Write-Manifest (Join-Path $ModuleOut 'RapidMessageTools.psd1')
    Copy-Item (Join-Path $Root 'module/RapidMessageTools.Format.ps1xml') $ModuleOut
    Copy-Item (Join-Path $Root 'module/RapidMessageTools.Types.ps1xml') $ModuleOut
    Copy-Item (Join-Path $Root 'LICENSE') $ModuleOut
    # What a user copies to start: the demo and the Pester suite, shipped with the module.
    New-Item -ItemType Directory -Path (Join-Path $ModuleOut 'Examples') -Force | Out-Null
    Copy-Item (Join-Path $Root 'bench/Demo.ps1'), (Join-Path $Root 'tests/Pester/RapidMessageSuccession.Tests.ps1') (Join-Path $ModuleOut 'Examples')
    # Protocol profiles to start from: a JSON backend with its own names (acme) and a SignalR hub.
    Copy-Item (Join-Path $Root 'module/Examples/*.json') (Join-Path $ModuleOut 'Examples')
    Get-ChildItem $publish -Filter *.dll | Where-Object Name -ne 'System.Management.Automation.dll' | Copy-Item -Destination $ModuleOut

    # Help: MAML and about_ topic generated from the Markdown source in help/.
    & (Join-Path $Root 'help/Build-Help.ps1') -Source (Join-Path $Root 'help') -Destination (Join-Path $ModuleOut 'en-US')

    $missing = $ModuleFiles | Where-Object { -not (Test-Path (Join-Path $ModuleOut $_)) }
    if ($missing) { throw "The module folder lacks: $($missing -join ', ')." }
    $null = Test-ModuleManifest (Join-Path $ModuleOut 'RapidMessageTools.psd1') -ErrorAction Stop
    Write-Host "Built $ModuleOut $Version ($Configuration)."
}

# The release notes of $Version: its section of CHANGELOG.md ("## <version>" up to the next "## ").
function Get-ReleaseNote {
    $changelog = (Get-Content (Join-Path $Root 'CHANGELOG.md') -Raw) -replace "`r`n", "`n"
    $m = [regex]::Match($changelog, "(?ms)^## $([regex]::Escape($Version))\b[^\n]*\n(.*?)(?=^## |\z)")
    if (-not $m.Success -or -not $m.Groups[1].Value.Trim()) { throw "CHANGELOG.md has no section '## $Version': add the release notes of the version in Directory.Build.props." }
    $m.Groups[1].Value.Trim()
}

# module/RapidMessageTools.psd1 with the version and release notes stamped in.
function Write-Manifest {
    param([string] $Path)
    $text = Get-Content (Join-Path $Root 'module/RapidMessageTools.psd1') -Raw
    # Placeholders the build fills: ModuleVersion = '0.0.0' and ReleaseNotes = ''.
    if ($text -notmatch "(?m)^\s*ModuleVersion\s*=\s*'0\.0\.0'" -or $text -notmatch "(?m)^\s*ReleaseNotes\s*=\s*''") {
        throw "module/RapidMessageTools.psd1 must keep ModuleVersion = '0.0.0' and ReleaseNotes = '', which the build fills from Directory.Build.props and CHANGELOG.md."
    }
    $notes = (Get-ReleaseNote) -replace "'", "''"
    $text = [regex]::Replace($text, "(?m)^(\s*ModuleVersion\s*=\s*)'0\.0\.0'", { param($m) $m.Groups[1].Value + "'$Version'" })
    $text = [regex]::Replace($text, "(?m)^(\s*ReleaseNotes\s*=\s*)''", { param($m) $m.Groups[1].Value + "'$notes'" })
    [IO.File]::WriteAllText($Path, $text, [Text.UTF8Encoding]::new($true))
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
    # The package too: tests/Pester/Package.Tests.ps1 installs it.
    Invoke-Package
    $pester = Get-PesterPath
    $results = Join-Path $Out 'TestResults'
    New-Item -ItemType Directory -Path $results -Force | Out-Null
    # The SignalR test programs are built here, once, before test files that use them start side by side
    # (each container has its own temporary folder, where .NET keeps a named mutex's lock).
    . (Join-Path $Root 'tests/Pester/Support/SignalRHub.ps1')
    if (-not (Get-SignalRHubProblem)) { foreach ($name in 'SignalRHub', 'SignalRClient') { $null = Build-SignalRProgram -Name $name } }
    # Test files run side by side, each in its own pwsh (tools/Invoke-ParallelPester.ps1); the results are merged
    # into one NUnit and one JUnit file. The slow end-to-end files start first on a first run.
    $runner = @{
        TestRoot         = Join-Path $Root 'tests/Pester'
        PesterPath       = $pester
        ResultsDirectory = $results
        ModulePath       = $Out
        Processes        = $TestProcesses
        SlowFirst        = @('WrongCause', 'Capacity', 'ProfileServers', 'ProtocolProfiles', 'Baselines', 'Scenarios', 'Readme', 'Streaming', 'Analyzer', 'Remoting')
    }
    if ($Tag) { $runner.Tag = $Tag }
    if ($ExcludeTag) { $runner.ExcludeTag = $ExcludeTag }
    Push-Location $Root
    try { & (Join-Path $Root 'tools/Invoke-ParallelPester.ps1') @runner; $code = $LASTEXITCODE }
    finally { Pop-Location }
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

# The module as a NuGet package (.nupkg) that Install-PSResource installs from a folder repository.
function Invoke-Package {
    Invoke-Build
    $packages = Join-Path $Out 'packages'
    New-Item -ItemType Directory -Path $packages -Force | Out-Null
    $nupkg = Join-Path $packages "RapidMessageTools.$Version.nupkg"
    if (Test-Path $nupkg) { Remove-Item $nupkg }
    Import-Module Microsoft.PowerShell.PSResourceGet -ErrorAction Stop
    if (Get-Command Compress-PSResource -ErrorAction SilentlyContinue) {
        # PSResourceGet 1.1+: packs without publishing, so no repository is registered anywhere.
        Compress-PSResource -Path $ModuleOut -DestinationPath $packages
    }
    else {
        # PSResourceGet 1.0 (PowerShell 7.4): publish to the folder through a repository registered for the moment.
        $repository = 'RapidMessageToolsBuild' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        Register-PSResourceRepository -Name $repository -Uri $packages -Trusted
        try { Publish-PSResource -Path $ModuleOut -Repository $repository }
        finally { Unregister-PSResourceRepository -Name $repository }
    }
    if (-not (Test-Path $nupkg)) { throw "Packing made no $nupkg." }
    Write-Host "Packaged $nupkg"
    Write-Host "Install it: Register-PSResourceRepository -Name RapidLocal -Uri '$packages' -Trusted; Install-PSResource RapidMessageTools -Repository RapidLocal"
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Analyze' { Invoke-Analyze }
    'Demo' { Invoke-Demo }
    'Bench' { Invoke-Bench }
    'Package' { Invoke-Package }
}
