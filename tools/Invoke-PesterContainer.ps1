<#
.SYNOPSIS
    One worker of tools/Invoke-ParallelPester.ps1: takes the next unclaimed container (a test file, or one shard
    of it) from the shared list, runs it, writes its results, and takes the next until none is left.
.DESCRIPTION
    A container is claimed by creating claims/<index> (creating a file that exists fails, so two workers never
    take the same one); the claim holds the worker's id for the runner's timeout. For each container the worker
    writes <index>.log (Pester's detailed output), <index>.nunit.xml, <index>.junit.xml and, last, <index>.summary.json,
    whose presence tells the runner the container ended. Each container gets its own temporary folder (TMPDIR,
    TEMP, TMP), so test files that run side by side never share a temporary path.
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSReviewUnusedParameter', '', Justification = 'WorkerId is read by Get-Claim, which the rule does not follow')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingWriteHost', '', Justification = 'Pester writes to the host; the worker only captures it')]
[CmdletBinding()]
param(
    # Written into each claim, so the runner knows which worker holds a container.
    [Parameter(Mandatory)] [int] $WorkerId,
    [Parameter(Mandatory)] [string] $PesterPath,
    # The runner's folder: queue.json (the containers in order), claims/ and the result files.
    [Parameter(Mandatory)] [string] $PartsDirectory,
    [Parameter(Mandatory)] [string] $TempRoot,
    [string] $Tag,
    [string] $ExcludeTag
)

$ErrorActionPreference = 'Stop'
Import-Module $PesterPath -Force
$queue = @(Get-Content (Join-Path $PartsDirectory 'queue.json') -Raw | ConvertFrom-Json)
$claims = Join-Path $PartsDirectory 'claims'

function Get-Claim([int] $Index) {
    try {
        $stream = [IO.File]::Open((Join-Path $claims $Index), [IO.FileMode]::CreateNew, [IO.FileAccess]::Write)
        $bytes = [Text.Encoding]::ASCII.GetBytes("$WorkerId")
        $stream.Write($bytes, 0, $bytes.Length)
        $stream.Dispose()
        $true
    }
    catch [IO.IOException] { $false }
}

# Pester's host output as text: Write-Host -NoNewline pieces joined into their lines.
function ConvertTo-HostText($Records) {
    $text = [Text.StringBuilder]::new()
    foreach ($record in $Records) {
        $data = $record.MessageData
        if ($data -is [Management.Automation.HostInformationMessage]) {
            $null = $text.Append($data.Message)
            if (-not $data.NoNewLine) { $null = $text.Append("`n") }
        }
        else { $null = $text.Append("$data`n") }
    }
    $text.ToString()
}

foreach ($item in $queue) {
    if (-not (Get-Claim $item.Index)) { continue }
    $prefix = Join-Path $PartsDirectory ('{0:D3}' -f $item.Index)
    $temp = Join-Path $TempRoot ('{0:D3}' -f $item.Index)
    New-Item -ItemType Directory -Path $temp -Force | Out-Null
    foreach ($variable in 'TMPDIR', 'TEMP', 'TMP') { Set-Item "env:$variable" $temp }

    $c = New-PesterConfiguration
    $c.Run.Container = if ($item.Data) {
        $data = @{}
        foreach ($p in $item.Data.PSObject.Properties) { $data[$p.Name] = $p.Value }
        New-PesterContainer -Path $item.Path -Data $data
    }
    else { New-PesterContainer -Path $item.Path }
    $c.Run.PassThru = $true
    $c.Output.Verbosity = 'Detailed'
    $c.Output.RenderMode = 'Plaintext'
    if ($Tag) { $c.Filter.Tag = $Tag -split ',' }
    if ($ExcludeTag) { $c.Filter.ExcludeTag = $ExcludeTag -split ',' }

    $records = $null
    $r = $null
    $crash = $null
    # This worker's CPU for the container (the in-process mock and load included; server processes it starts are not).
    $cpuBefore = [Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime
    try { $r = Invoke-Pester -Configuration $c -InformationVariable records 6>$null }
    catch { $crash = $_ }
    $log = ConvertTo-HostText $records
    if ($crash) { $log += "`nThe container stopped the worker's Pester run: $crash`n$($crash.ScriptStackTrace)" }
    [IO.File]::WriteAllText("$prefix.log", $log)
    if ($r) {
        $r | Export-NUnitReport -Path "$prefix.nunit.xml"
        $r | Export-JUnitReport -Path "$prefix.junit.xml"
    }
    [pscustomobject]@{
        Result           = if ($r) { "$($r.Result)" } else { 'Failed' }
        Passed           = if ($r) { $r.PassedCount } else { 0 }
        Failed           = if ($r) { $r.FailedCount } else { 0 }
        Skipped          = if ($r) { $r.SkippedCount } else { 0 }
        FailedBlocks     = if ($r) { $r.FailedBlocksCount } else { 0 }
        FailedContainers = if ($r) { $r.FailedContainersCount } else { 1 }
        CpuSeconds       = [math]::Round(([Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime - $cpuBefore).TotalSeconds, 1)
    } | ConvertTo-Json -Compress | Set-Content -Path "$prefix.summary.tmp"
    # Renamed into place, so the runner never reads half a file.
    Move-Item "$prefix.summary.tmp" "$prefix.summary.json" -Force
    Remove-Item $temp -Recurse -Force -ErrorAction SilentlyContinue
}
exit 0
