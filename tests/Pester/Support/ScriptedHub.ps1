<#
.SYNOPSIS
    Starts tests/Servers/scripted_hub.py: a SignalR hub in Python that does one edge case on demand
    (a negotiate redirect, a refused handshake, records joined or split across frames, a Completion with
    an error, a Close record with an error) and counts the Ping records clients send (GET /stats).
.DESCRIPTION
    Dot-source inside BeforeAll, after Support/IndependentServer.ps1 (it shares its python, its list of
    servers and Stop-IndependentServer):

        BeforeAll { . (Join-Path $PSScriptRoot 'Support/IndependentServer.ps1'); . (Join-Path $PSScriptRoot 'Support/ScriptedHub.ps1') }
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'test helpers (Start-*) start test servers; -WhatIf has no meaning in a test')]
param()

$script:ScriptedHubScript = Join-Path $PSScriptRoot '../../Servers/scripted_hub.py'

function Start-ScriptedHub {
    [CmdletBinding()]
    param(
        [switch] $Redirect,
        [switch] $HandshakeError,
        [switch] $Join,
        [switch] $Split,
        [switch] $CompletionError,
        [int] $CloseAfter = 0,
        [double] $TimeoutSec = 20
    )
    $arguments = @($script:ScriptedHubScript, '--exit-on-stdin-eof', '--close-after', $CloseAfter)
    foreach ($flag in @{ Redirect = '--redirect'; HandshakeError = '--handshake-error'; Join = '--join'; Split = '--split'; CompletionError = '--completion-error' }.GetEnumerator()) {
        if ($PSBoundParameters[$flag.Key]) { $arguments += $flag.Value }
    }
    $started = Start-ServerProcess -FilePath $script:IndependentServerPython -ArgumentList $arguments -Name 'scripted_hub.py' -TimeoutSec $TimeoutSec
    $process = $started.Process
    $stderr = $started.StdErr
    $info = $started.Info
    $hub = [pscustomobject]@{
        PSTypeName = 'ScriptedHub'
        Process    = $process
        Port       = [int] $info.port
        Url        = [string] $info.url
        BaseUrl    = [string] $info.base_url
        StdErr     = $stderr
    }
    $script:IndependentServers.Add($hub)
    $hub
}

# What the hub saw: Ping records received, the access_token of each WebSocket, connections.
function Get-ScriptedHubStat($Hub) { Invoke-RestMethod -Uri "$($Hub.BaseUrl)/stats" -TimeoutSec 5 }
