<#
.SYNOPSIS
    Starts and stops tests/Servers/independent_server.py: a second implementation of the protocol,
    in Python on python3-websockets, with faults shaped differently from the mock's.
.DESCRIPTION
    Dot-source inside BeforeAll (never at a file's top level):

        BeforeAll { . (Join-Path $PSScriptRoot 'Support/IndependentServer.ps1') }

    Get-IndependentServerProblem says why the server cannot run here ($null when it can), for
    Set-ItResult -Skipped. Start-IndependentServer binds 127.0.0.1 on port 0 and returns once the
    server printed its port (bounded by -TimeoutSec). Stop-IndependentServer closes the server's
    standard input (its lifeline), waits briefly and kills it if it is still running; call
    Stop-IndependentServer -All in AfterAll. Every server also exits by itself after -MaxLifetime.
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'test helpers (Start-*, Stop-*) start and stop test servers; -WhatIf has no meaning in a test')]
param()

$script:IndependentServers = [System.Collections.Generic.List[object]]::new()
. (Join-Path $PSScriptRoot 'ServerProcess.ps1')
$script:IndependentServerScript = Join-Path $PSScriptRoot '../../Servers/independent_server.py'
$script:IndependentServerPython = '/usr/bin/python3'

function Get-IndependentServerProblem {
    if (-not (Test-Path $script:IndependentServerPython)) {
        return "$script:IndependentServerPython is not installed (apt-get install python3 python3-websockets)"
    }
    $psi = [System.Diagnostics.ProcessStartInfo]::new($script:IndependentServerPython)
    $psi.ArgumentList.Add('-c')
    $psi.ArgumentList.Add('import websockets.legacy.server')
    $psi.RedirectStandardError = $true
    $psi.UseShellExecute = $false
    $p = [System.Diagnostics.Process]::Start($psi)
    try {
        $err = $p.StandardError.ReadToEndAsync()
        if (-not $p.WaitForExit(20000)) { $p.Kill($true); return 'python3 did not start within 20 s' }
        if ($p.ExitCode -ne 0) { return 'python3-websockets is not installed (apt-get install python3-websockets): ' + $err.GetAwaiter().GetResult().Trim() }
    }
    finally { $p.Dispose() }
    $null
}

function Start-IndependentServer {
    [CmdletBinding()]
    param(
        [int] $QueueCapacity = 500,
        [double] $ResponseDelay = 0,
        [switch] $RequireAuth,
        [switch] $ExpiredTokens,
        [int] $Seed = 1,
        # Fault names with an optional value: 'drop-messages=0.05', 'tcp-drop-after=30', 'no-state-update'.
        [string[]] $Fault = @(),
        [int] $StreamChunks = 0,
        [double] $ChunkInterval = 0,
        [double] $StallSeconds = 2,
        [double] $MaxLifetime = 900,
        # Another backend's wire shape instead of the canonical one: 'acme' (module/Examples/acme.json's shape).
        [ValidateSet('acme')] [string] $Dialect,
        [double] $TimeoutSec = 20
    )
    $arguments = @($script:IndependentServerScript, '--exit-on-stdin-eof', '--queue-capacity', $QueueCapacity,
        '--response-delay', $ResponseDelay, '--seed', $Seed, '--stream-chunks', $StreamChunks,
        '--chunk-interval', $ChunkInterval, '--stall-seconds', $StallSeconds, '--max-lifetime', $MaxLifetime)
    if ($RequireAuth) { $arguments += '--require-auth' }
    if ($ExpiredTokens) { $arguments += '--expired-tokens' }
    if ($Dialect) { $arguments += '--dialect'; $arguments += $Dialect }
    foreach ($f in $Fault) { $arguments += '--fault'; $arguments += $f }
    $started = Start-ServerProcess -FilePath $script:IndependentServerPython -ArgumentList $arguments -Name 'independent_server.py' -TimeoutSec $TimeoutSec
    $process = $started.Process
    $stderr = $started.StdErr
    $info = $started.Info
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $server = [pscustomobject]@{
        PSTypeName = 'IndependentServer'
        Process    = $process
        Port       = [int] $info.port
        Url        = [string] $info.url
        BaseUrl    = [string] $info.base_url
        HealthUrl  = "$($info.base_url)/health"
        AuthUrl    = "$($info.base_url)/auth/test-user"
        Fault      = $Fault
        Dialect    = $Dialect
        StdErr     = $stderr
        StdOut     = $stdout
    }
    $script:IndependentServers.Add($server)
    $server
}

function Stop-IndependentServer {
    [CmdletBinding()]
    param(
        [Parameter(ValueFromPipeline)] [object] $Server,
        [switch] $All
    )
    process {
        $targets = if ($All) { @($script:IndependentServers) } elseif ($Server) { @($Server) } else { @() }
        foreach ($s in $targets) {
            $p = $s.Process
            try {
                if (-not $p.HasExited) {
                    try { $p.StandardInput.Close() } catch { Write-Verbose "its standard input was already closed: $_" }
                    if (-not $p.WaitForExit(3000)) { $p.Kill($true); $p.WaitForExit(5000) | Out-Null }
                }
            }
            finally {
                $p.Dispose()
                [void] $script:IndependentServers.Remove($s)
            }
        }
    }
}
