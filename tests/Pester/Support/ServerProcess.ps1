<#
.SYNOPSIS
    Starts a test server process that prints one JSON line (its port and URLs) once it listens, and keeps its
    standard input open as its lifeline. Shared by IndependentServer.ps1, SignalRHub.ps1 and ScriptedHub.ps1.
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'test helpers (Start-*) start test servers; -WhatIf has no meaning in a test')]
param()

# Returns the process, the JSON line it printed (parsed), and its standard error (read all along, so a chatty
# server never blocks on a full pipe). Throws, with what the server wrote to standard error, when no line came
# within -TimeoutSec.
function Start-ServerProcess {
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [Parameter(Mandatory)] [object[]] $ArgumentList,
        [Parameter(Mandatory)] [string] $Name,
        [double] $TimeoutSec = 20
    )
    $psi = [System.Diagnostics.ProcessStartInfo]::new($FilePath)
    foreach ($a in $ArgumentList) { $psi.ArgumentList.Add([string]::Format([cultureinfo]::InvariantCulture, '{0}', $a)) }
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($psi)
    $stderr = $process.StandardError.ReadToEndAsync()
    $line = $process.StandardOutput.ReadLineAsync()
    if (-not $line.Wait([int]($TimeoutSec * 1000)) -or -not $line.Result) {
        try { $process.Kill($true) } catch { Write-Verbose "$Name had already exited: $_" }
        $process.WaitForExit(5000) | Out-Null
        $why = if ($stderr.Wait(2000)) { $stderr.Result.Trim() } else { '' }
        $process.Dispose()
        throw "$Name did not print its port within $TimeoutSec s. $why"
    }
    [pscustomobject]@{ Process = $process; Info = ($line.Result | ConvertFrom-Json); StdErr = $stderr }
}
