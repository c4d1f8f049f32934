<#
.SYNOPSIS
    Builds, starts and stops tests/Servers/SignalRHub (an ASP.NET Core SignalR chat hub speaking
    module/Examples/signalr-chat.json), and runs tests/Servers/SignalRClient (Microsoft's SignalR
    client) against a hub.
.DESCRIPTION
    Dot-source inside BeforeAll (never at a file's top level):

        BeforeAll { . (Join-Path $PSScriptRoot 'Support/SignalRHub.ps1') }

    Get-SignalRHubProblem says why the hub cannot run here ($null when it can), for
    Set-ItResult -Skipped. Both programs are built on first use (dotnet build -c Release into
    out/servers/<name>; again only when a source file is newer than the build), one build at a
    time across processes that share a temporary folder (build.ps1 -Task Test builds both before
    its test files start side by side, each with a temporary folder of its own). Start-SignalRHub binds 127.0.0.1 on port 0 and returns once the hub
    printed its port (bounded by -TimeoutSec). Stop-SignalRHub closes the hub's standard input (its
    lifeline), waits briefly and kills it if it is still running; call Stop-SignalRHub -All in
    AfterAll. Every hub also exits by itself after -MaxLifetime. Invoke-SignalRClient runs the
    client once (bounded) and returns its JSON summary with ExitCode and StdErr added.
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'test helpers (Start-*, Stop-*) start and stop test servers; -WhatIf has no meaning in a test')]
param()

$script:SignalRHubs = [System.Collections.Generic.List[object]]::new()

. (Join-Path $PSScriptRoot 'ServerProcess.ps1')
$script:SignalRRoot = (Resolve-Path (Join-Path $PSScriptRoot '../../..')).Path
$script:SignalRHubDll = Join-Path $script:SignalRRoot 'out/servers/SignalRHub/SignalRHub.dll'
$script:SignalRClientDll = Join-Path $script:SignalRRoot 'out/servers/SignalRClient/SignalRClient.dll'

function Get-SignalRHubProblem {
    if (-not (Get-Command dotnet -ErrorAction SilentlyContinue)) { return 'dotnet is not on PATH' }
    $runtimes = (& dotnet --list-runtimes 2>$null) -join "`n"
    if ($runtimes -notmatch 'Microsoft\.AspNetCore\.App 10\.') { return 'the ASP.NET Core 10 shared framework (Microsoft.AspNetCore.App 10.x) is not installed' }
    $null
}

# Builds tests/Servers/<Name> into out/servers/<Name> unless that build is newer than every source file.
function Build-SignalRProgram {
    param([Parameter(Mandatory)] [ValidateSet('SignalRHub', 'SignalRClient')] [string] $Name)
    $project = Join-Path $script:SignalRRoot "tests/Servers/$Name"
    $output = Join-Path $script:SignalRRoot "out/servers/$Name"
    $dll = Join-Path $output "$Name.dll"
    # One build at a time, across processes (Pester files running in parallel shells).
    $mutex = [System.Threading.Mutex]::new($false, 'RapidMessageToolsSignalRBuild')
    $owned = $false
    try {
        try { $owned = $mutex.WaitOne([TimeSpan]::FromMinutes(5)) } catch [System.Threading.AbandonedMutexException] { $owned = $true }
        if (-not $owned) { throw "Another process has been building $Name for 5 minutes." }
        $sources = Get-ChildItem $project -File | Where-Object Extension -in '.cs', '.csproj'
        $newest = ($sources | Measure-Object -Property LastWriteTimeUtc -Maximum).Maximum
        if ((Test-Path $dll) -and (Get-Item $dll).LastWriteTimeUtc -gt $newest) { return $dll }
        $log = & dotnet build (Join-Path $project "$Name.csproj") -c Release -o $output --nologo -v quiet 2>&1
        if ($LASTEXITCODE -ne 0) { throw "dotnet build of tests/Servers/$Name failed (exit code $LASTEXITCODE):`n$($log -join "`n")" }
        # An up-to-date build copies nothing: stamp the output so the next call skips the build.
        (Get-Item $dll).LastWriteTimeUtc = [DateTime]::UtcNow
        $dll
    }
    finally {
        if ($owned) { $mutex.ReleaseMutex() }
        $mutex.Dispose()
    }
}

function Start-SignalRHub {
    [CmdletBinding()]
    param(
        [int] $QueueCapacity = 500,
        [double] $ResponseDelay = 0,
        [double] $Jitter = 0,
        [int] $Seed = 1,
        # Fault names with an optional rate: 'drop-replies=0.5', 'no-state-update'.
        [string[]] $Fault = @(),
        [int] $StreamChunks = 0,
        [double] $ChunkInterval = 0,
        # Seconds between the hub's SignalR pings to an idle client (ASP.NET Core's default: 15).
        [double] $KeepAlive = 15,
        # Seconds the hub waits for anything from a client before it drops it (ASP.NET Core's default: 30).
        [double] $ClientTimeout = 30,
        [double] $MaxLifetime = 900,
        [double] $TimeoutSec = 30
    )
    $dll = Build-SignalRProgram SignalRHub
    $arguments = @($dll, '--urls', 'http://127.0.0.1:0', '--exit-on-stdin-eof', '--queue-capacity', $QueueCapacity,
        '--response-delay', $ResponseDelay, '--jitter', $Jitter, '--seed', $Seed, '--stream-chunks', $StreamChunks,
        '--chunk-interval', $ChunkInterval, '--keep-alive', $KeepAlive, '--client-timeout', $ClientTimeout, '--max-lifetime', $MaxLifetime)
    foreach ($f in $Fault) { $arguments += '--fault'; $arguments += $f }
    $started = Start-ServerProcess -FilePath 'dotnet' -ArgumentList $arguments -Name 'SignalRHub' -TimeoutSec $TimeoutSec
    $process = $started.Process
    $stderr = $started.StdErr
    $info = $started.Info
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $hub = [pscustomobject]@{
        PSTypeName = 'SignalRHub'
        Process    = $process
        Port       = [int] $info.port
        Url        = [string] $info.url
        BaseUrl    = [string] $info.base_url
        HealthUrl  = "$($info.base_url)/health"
        Fault      = $Fault
        StdErr     = $stderr
        StdOut     = $stdout
    }
    $script:SignalRHubs.Add($hub)
    $hub
}

function Stop-SignalRHub {
    [CmdletBinding()]
    param(
        [Parameter(ValueFromPipeline)] [object] $Hub,
        [switch] $All
    )
    process {
        $targets = if ($All) { @($script:SignalRHubs) } elseif ($Hub) { @($Hub) } else { @() }
        foreach ($h in $targets) {
            $p = $h.Process
            try {
                if (-not $p.HasExited) {
                    try { $p.StandardInput.Close() } catch { Write-Verbose "its standard input was already closed: $_" }
                    if (-not $p.WaitForExit(5000)) { $p.Kill($true); $p.WaitForExit(5000) | Out-Null }
                }
            }
            finally {
                $p.Dispose()
                [void] $script:SignalRHubs.Remove($h)
            }
        }
    }
}

function Invoke-SignalRClient {
    <#
    .SYNOPSIS
        Runs tests/Servers/SignalRClient once against -Url and returns its summary (one JSON object:
        replies, duplicatesSeen, unmarkedRepeats, outOfOrder, chunks, chunkProblems, queueFull,
        agentStateMessageCount, queueState, ping, stateUpdates, otherUserFrames, stayedConnected,
        problems, ok) with ExitCode and StdErr added. Throws when the client ran past -ProcessTimeoutSec
        or printed no summary.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)] [string] $Url,
        [string] $User = "signalr-client-$PID-$([guid]::NewGuid().ToString('N').Substring(0, 8))",
        [int] $MessageCount = 10,
        [string] $Agent = 'agent-1',
        # Seconds to wait for the replies (and each later answer).
        [double] $TimeoutSec = 15,
        # Streamed replies expected: N chunks per reply, indexed without gaps, joined by the final.
        [int] $ExpectChunks = 0,
        # Cancels a stream after its first chunk (with -ExpectChunks), then cancels it again (unknown_message).
        [switch] $Cancel,
        # A second connection of the same user, which must get one StateUpdated per processed message.
        [switch] $Observer,
        # A connection of another user, which must get nothing.
        [switch] $OtherUser,
        # Seconds to stay connected and idle at the end (past the client's -ServerTimeoutSec proves the hub pings).
        [double] $IdleSec = 0,
        [double] $ServerTimeoutSec = 30,
        [double] $KeepAliveSec = 15,
        [string] $Token,
        [switch] $SkipNegotiation,
        [switch] $AnyTransport,
        [double] $ProcessTimeoutSec = 120
    )
    $dll = Build-SignalRProgram SignalRClient
    $psi = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    $arguments = @($dll, '--url', $Url, '--user', $User, '--messages', $MessageCount, '--agent', $Agent, '--timeout', $TimeoutSec,
        '--expect-chunks', $ExpectChunks, '--idle', $IdleSec, '--server-timeout', $ServerTimeoutSec, '--keep-alive', $KeepAliveSec)
    if ($Cancel) { $arguments += '--cancel' }
    if ($Observer) { $arguments += '--observer' }
    if ($OtherUser) { $arguments += '--other-user' }
    if ($Token) { $arguments += '--token'; $arguments += $Token }
    if ($SkipNegotiation) { $arguments += '--skip-negotiation' }
    if ($AnyTransport) { $arguments += '--any-transport' }
    foreach ($a in $arguments) { $psi.ArgumentList.Add([string]::Format([cultureinfo]::InvariantCulture, '{0}', $a)) }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($psi)
    try {
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        if (-not $process.WaitForExit([int]($ProcessTimeoutSec * 1000))) {
            $process.Kill($true)
            throw "SignalRClient did not finish within $ProcessTimeoutSec s."
        }
        $process.WaitForExit()
        $line = @($stdout.Result -split "`n" | Where-Object { $_.StartsWith('{') }) | Select-Object -Last 1
        if (-not $line) { throw "SignalRClient printed no summary (exit code $($process.ExitCode)): $($stdout.Result) $($stderr.Result)" }
        $summary = $line | ConvertFrom-Json
        $summary | Add-Member -NotePropertyName ExitCode -NotePropertyValue $process.ExitCode
        $summary | Add-Member -NotePropertyName StdErr -NotePropertyValue $stderr.Result
        $summary
    }
    finally {
        $process.Dispose()
    }
}
