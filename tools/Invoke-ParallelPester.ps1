<#
.SYNOPSIS
    Runs the Pester suite in several pwsh processes at once and merges what they found into one NUnit and one
    JUnit file, failing when any test, block or container failed.
.DESCRIPTION
    Most of the suite waits (on sockets, timeouts, servers in child processes, 15-second SignalR pings) rather
    than computes, so test files run side by side finish in a fraction of the time one after another took.
    Each test file is one container, run by tools/Invoke-PesterContainer.ps1 in a fresh pwsh with its own
    temporary folder: no loaded assembly, module state or temporary path is shared between files.

    A file that starts a line with "# Shards: Name=a,b,c" is run once per value, with -Data @{ Name = 'a' }
    and so on (its param() takes Name and runs only that part); without the runner, Pester runs it whole.

    Containers start longest first: from the durations of the previous run in the results folder when there
    are some, else the files named in -SlowFirst, then the rest by name. Each container's output is printed
    whole when it ends, so the log reads file by file.
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSReviewUnusedParameter', '', Justification = 'PesterPath, ModulePath, Tag and ExcludeTag are read by Start-Worker, which the rule does not follow')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'Start-Worker starts a test process of this run; -WhatIf has no meaning here')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingWriteHost', '', Justification = 'talks to the person running the tests; results go to files')]
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $TestRoot,
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ResultsDirectory,
    # Prepended to PSModulePath in every container (the built module).
    [string] $ModulePath,
    [string[]] $Tag,
    [string[]] $ExcludeTag,
    [ValidateRange(1, 16)] [int] $Processes = 4,
    # A container still running after this long is stopped and counted as failed.
    [ValidateRange(60, 7200)] [int] $ContainerTimeoutSec = 1200,
    # Scheduling hint for a first run (no durations yet): these files start first, in this order.
    [string[]] $SlowFirst = @()
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$workerScript = Join-Path $PSScriptRoot 'Invoke-PesterContainer.ps1'
$parts = Join-Path $ResultsDirectory 'parts'
if (Test-Path $parts) { Remove-Item $parts -Recurse -Force }
New-Item -ItemType Directory -Path $parts -Force | Out-Null
$tempRoot = Join-Path ([IO.Path]::GetTempPath()) ('rapid-tests-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
$durationsFile = Join-Path $ResultsDirectory 'durations.json'

# The containers: one per file, or one per shard value.
$containers = [Collections.Generic.List[object]]::new()
foreach ($file in Get-ChildItem -Path $TestRoot -Filter '*.Tests.ps1' -Recurse -File | Sort-Object FullName) {
    $shards = Select-String -Path $file.FullName -Pattern '^#\s*Shards:\s*(\w+)=(.+)$' | Select-Object -First 1
    if ($shards) {
        $name = $shards.Matches[0].Groups[1].Value
        foreach ($value in $shards.Matches[0].Groups[2].Value -split ',' | ForEach-Object Trim | Where-Object { $_ }) {
            $containers.Add([pscustomobject]@{ Path = $file.FullName; Label = "$($file.Name) [$name=$value]"; Data = @{ $name = $value } })
        }
    }
    else {
        $containers.Add([pscustomobject]@{ Path = $file.FullName; Label = $file.Name; Data = $null })
    }
}

# Longest first: last run's seconds per label, else the hint list, else by name.
$previous = @{}
if (Test-Path $durationsFile) {
    try { foreach ($p in (Get-Content $durationsFile -Raw | ConvertFrom-Json).PSObject.Properties) { $previous[$p.Name] = [double] $p.Value } }
    catch { Write-Warning "Ignoring $durationsFile (unreadable: $($_.Exception.Message)); containers start in the default order." }
}
$order = @($containers | Sort-Object -Property @(
        @{ Expression = { if ($previous.ContainsKey($_.Label)) { $previous[$_.Label] } else { -1 } }; Descending = $true }
        @{ Expression = { $i = [array]::IndexOf($SlowFirst, [IO.Path]::GetFileNameWithoutExtension([IO.Path]::GetFileNameWithoutExtension($_.Path))); if ($i -lt 0) { [int]::MaxValue } else { $i } } }
        @{ Expression = { $_.Label } }
    ))

function Start-Worker([int] $Id) {
    $info = [Diagnostics.ProcessStartInfo]::new('dotnet')
    $arguments = @('pwsh', '-NoProfile', '-NonInteractive', '-File', $workerScript, '-WorkerId', $Id, '-PesterPath', $PesterPath, '-PartsDirectory', $parts, '-TempRoot', $tempRoot)
    if ($Tag) { $arguments += @('-Tag', ($Tag -join ',')) }
    if ($ExcludeTag) { $arguments += @('-ExcludeTag', ($ExcludeTag -join ',')) }
    foreach ($a in $arguments) { $info.ArgumentList.Add([string] $a) }
    $info.UseShellExecute = $false
    # What a worker writes outside Pester (a crash) goes to its own file.
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.WorkingDirectory = (Get-Location).Path
    if ($ModulePath) { $info.Environment['PSModulePath'] = $ModulePath + [IO.Path]::PathSeparator + $env:PSModulePath }
    $process = [Diagnostics.Process]::Start($info)
    [pscustomobject]@{ Id = $Id; Process = $process; Output = $process.StandardOutput.ReadToEndAsync(); Errors = $process.StandardError.ReadToEndAsync() }
}

# The names of the files in a folder.
function Get-FileNameSet([string] $Directory, [string] $Filter) {
    $set = [Collections.Generic.HashSet[string]]::new()
    foreach ($file in [IO.Directory]::EnumerateFiles($Directory, $Filter)) { $null = $set.Add([IO.Path]::GetFileName($file)) }
    , $set
}

# The claim of a container: when it was taken and by which worker (read once; a claim never changes).
function Get-ContainerClaim($Container) {
    if ($Container.Claim) { return $Container.Claim }
    $file = $Container.ClaimFile
    # Created, its id not yet written: taken a moment ago, by a worker about to say so. (An empty text is not worker
    # 0: '' -as [int] is 0, and a claim read as worker 0's while worker 0 had ended was once judged orphaned.)
    $text = try { [IO.File]::ReadAllText($file) } catch [IO.IOException] { $null }
    if ([string]::IsNullOrWhiteSpace($text)) { return $null }
    $id = $text.Trim() -as [int]
    if ($null -eq $id) { return $null }
    $Container.Claim = [pscustomobject]@{ Since = [IO.File]::GetLastWriteTimeUtc($file); WorkerId = $id }
    $Container.Claim
}

function Complete-Container {
    param($Container, [string] $Problem, [double] $Seconds)
    $prefix = Join-Path $parts ('{0:D3}' -f $Container.Index)
    $summaryFile = "$prefix.summary.json"
    $summary = if (Test-Path $summaryFile) { Get-Content $summaryFile -Raw | ConvertFrom-Json }
    if (-not $Problem -and $summary -and ($summary.Failed -or $summary.FailedBlocks -or $summary.FailedContainers -or $summary.Result -eq 'Failed')) {
        $Problem = "$($summary.Failed) test(s), $($summary.FailedBlocks) block(s), $($summary.FailedContainers) container(s) failed"
    }
    Write-Host ''
    Write-Host ('=== {0} ({1:N0} s){2}' -f $Container.Label, $Seconds, $(if ($Problem) { ": $Problem" } else { '' }))
    if (Test-Path "$prefix.log") { Write-Host (Get-Content "$prefix.log" -Raw).TrimEnd() }
    [pscustomobject]@{
        Label   = $Container.Label
        Seconds = [math]::Round($Seconds, 1)
        Passed  = if ($summary) { $summary.Passed } else { 0 }
        Failed  = if ($summary) { $summary.Failed } else { 0 }
        Skipped = if ($summary) { $summary.Skipped } else { 0 }
        CpuSeconds = if ($summary -and $summary.PSObject.Properties['CpuSeconds']) { $summary.CpuSeconds } else { 0 }
        Problem = $Problem
        Prefix  = $prefix
    }
}

# Sums the integer attributes of the merged roots and appends each part's file suites under the first's.
function Merge-ResultXml {
    param([string[]] $Files, [string] $Destination, [string] $SuiteXPath, [string[]] $CountAttributes, [string] $TimeAttribute, [double] $Seconds)
    $merged = $null
    $totals = @{}
    foreach ($file in $Files) {
        $doc = [xml]::new()
        $doc.PreserveWhitespace = $false
        $doc.Load($file)
        foreach ($name in $CountAttributes) {
            $value = $doc.DocumentElement.GetAttribute($name)
            if ($value) { $totals[$name] = [int] $totals[$name] + [int] $value }
        }
        if (-not $merged) { $merged = $doc; continue }
        $target = $merged.SelectSingleNode($SuiteXPath)
        foreach ($suite in @($doc.SelectSingleNode($SuiteXPath).ChildNodes)) {
            if ($suite.NodeType -eq 'Element' -and $suite.LocalName -ne 'properties') { $null = $target.AppendChild($merged.ImportNode($suite, $true)) }
        }
    }
    foreach ($name in $totals.Keys) { $merged.DocumentElement.SetAttribute($name, [string] $totals[$name]) }
    $merged.DocumentElement.SetAttribute($TimeAttribute, $Seconds.ToString('0.###', [Globalization.CultureInfo]::InvariantCulture))
    $merged
}

$clock = [Diagnostics.Stopwatch]::StartNew()
$claims = Join-Path $parts 'claims'
New-Item -ItemType Directory -Path $claims, $tempRoot -Force | Out-Null
for ($i = 0; $i -lt $order.Count; $i++) {
    $order[$i] | Add-Member -NotePropertyMembers ([ordered]@{
            Index = $i; ClaimFile = Join-Path $claims $i; Summary = '{0:D3}.summary.json' -f $i; Claim = $null
        })
}
ConvertTo-Json -InputObject @($order | Select-Object Index, Path, Data, Label) -Depth 4 | Set-Content (Join-Path $parts 'queue.json')
Write-Host ("Running {0} containers in {1} pwsh processes at once." -f $order.Count, $Processes)

$workers = [Collections.Generic.List[object]]::new()
$done = [Collections.Generic.List[object]]::new()
$open = [Collections.Generic.List[object]]::new($order)
try {
    for ($i = 0; $i -lt [math]::Min($Processes, $order.Count); $i++) { $workers.Add((Start-Worker -Id $workers.Count)) }
    while ($open.Count) {
        Start-Sleep -Milliseconds 500
        # Two folder listings a step, not file tests per container: this loop shares the machine with the tests
        # for the whole run (per-container tests cost it about 40 s of CPU in a 5-minute run).
        $claimed = Get-FileNameSet $claims '*'
        $finished = Get-FileNameSet $parts '*.summary.json'
        foreach ($container in @($open)) {
            if (-not $claimed.Contains([string] $container.Index)) { continue }
            $claim = Get-ContainerClaim $container
            if (-not $claim) { continue }
            $seconds = ([DateTime]::UtcNow - $claim.Since).TotalSeconds
            $problem = $null
            if ($finished.Contains($container.Summary)) { }
            else {
                $worker = $null
                foreach ($w in $workers) { if ($w.Id -eq $claim.WorkerId) { $worker = $w; break } }
                if ($seconds -gt $ContainerTimeoutSec) {
                    $problem = "stopped after $ContainerTimeoutSec s (-ContainerTimeoutSec)"
                    if ($worker -and -not $worker.Process.HasExited) { $worker.Process.Kill($true); $worker.Process.WaitForExit() }
                }
                elseif (-not $worker -or $worker.Process.HasExited) {
                    # Re-check: the summary may have landed just before the worker ended.
                    if ([IO.File]::Exists((Join-Path $parts $container.Summary))) { }
                    else {
                        $text = if ($worker) { ($worker.Output.Result + $worker.Errors.Result).Trim() } else { '' }
                        $problem = "its worker ended without its results$(if ($text) { ": $text" })"
                    }
                }
                else { continue }
            }
            $null = $open.Remove($container)
            $done.Add((Complete-Container -Container $container -Problem $problem -Seconds $seconds))
        }
        # A worker that ended (or was stopped) while containers are still unclaimed is replaced.
        $unclaimed = 0
        foreach ($container in $open) { if (-not $claimed.Contains([string] $container.Index)) { $unclaimed++ } }
        $alive = 0
        foreach ($w in $workers) { if (-not $w.Process.HasExited) { $alive++ } }
        for ($i = $alive; $i -lt [math]::Min($Processes, $unclaimed); $i++) { $workers.Add((Start-Worker -Id $workers.Count)) }
    }
}
finally {
    foreach ($worker in $workers) { if (-not $worker.Process.HasExited) { $worker.Process.Kill($true) } }
    Remove-Item $tempRoot -Recurse -Force -ErrorAction SilentlyContinue
}
$wall = $clock.Elapsed.TotalSeconds

# Durations for the next run's order.
$durations = [ordered]@{}
foreach ($d in $done | Sort-Object Seconds -Descending) { $durations[$d.Label] = $d.Seconds }
$durations | ConvertTo-Json | Set-Content $durationsFile

$ran = @($done | Where-Object { Test-Path "$($_.Prefix).nunit.xml" } | Sort-Object Prefix)
if ($ran.Count) {
    $nunit = Merge-ResultXml -Files ($ran | ForEach-Object { "$($_.Prefix).nunit.xml" }) -SuiteXPath '/test-results/test-suite/results' `
        -CountAttributes 'total', 'errors', 'failures', 'not-run', 'inconclusive', 'ignored', 'skipped', 'invalid' -TimeAttribute 'time' -Seconds $wall
    $failedAny = @($done | Where-Object Problem).Count -gt 0
    $pesterSuite = $nunit.SelectSingleNode('/test-results/test-suite')
    # The root's time attribute is the clock time of day in NUnit 2.5; the run's seconds belong to the Pester suite.
    $nunit.DocumentElement.SetAttribute('time', [DateTime]::Now.ToString('HH:mm:ss'))
    $pesterSuite.SetAttribute('time', $wall.ToString('0.####', [Globalization.CultureInfo]::InvariantCulture))
    $pesterSuite.SetAttribute('result', $(if ($failedAny) { 'Failure' } else { 'Success' }))
    $pesterSuite.SetAttribute('success', $(if ($failedAny) { 'False' } else { 'True' }))
    $nunit.Save((Join-Path $ResultsDirectory 'TestResults.NUnit.xml'))
    $junit = Merge-ResultXml -Files ($ran | ForEach-Object { "$($_.Prefix).junit.xml" }) -SuiteXPath '/testsuites' `
        -CountAttributes 'tests', 'errors', 'failures', 'disabled' -TimeAttribute 'time' -Seconds $wall
    $junit.Save((Join-Path $ResultsDirectory 'TestResults.JUnit.xml'))
}

$passed = ($done | Measure-Object Passed -Sum).Sum
$failed = ($done | Measure-Object Failed -Sum).Sum
$skipped = ($done | Measure-Object Skipped -Sum).Sum
Write-Host ''
Write-Host 'Slowest containers:'
$done | Sort-Object Seconds -Descending | Select-Object -First 12 | ForEach-Object { Write-Host ('  {0,6:N0} s  {1,6:N0} s CPU  {2}' -f $_.Seconds, $_.CpuSeconds, $_.Label) }
$cpu = ($done | Measure-Object CpuSeconds -Sum).Sum
Write-Host ('CPU in the test processes: {0:N0} s (servers they start in processes of their own not counted).' -f $cpu)
Write-Host ('Tests: {0} passed, {1} failed, {2} skipped, in {3} containers, {4:N0} s on the clock with {5} processes.' -f $passed, $failed, $skipped, $done.Count, $wall, $Processes)
$problems = @($done | Where-Object Problem)
foreach ($p in $problems) { Write-Host "FAILED: $($p.Label): $($p.Problem)" }
if ($problems.Count) { exit 1 }
exit 0
