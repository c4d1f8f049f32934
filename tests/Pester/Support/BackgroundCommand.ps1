<#
.SYNOPSIS
    Runs a command in another runspace of this process, so a test can act meanwhile (break the server,
    watch its stats) and then stop the command as Ctrl+C would.
.DESCRIPTION
    Dot-source inside BeforeAll. Start-BackgroundCommand returns a job (PowerShell, Async, Clock: a
    stopwatch started before the command); end every job with Remove-BackgroundCommand in a finally
    block, or with Wait-BackgroundCommand, which disposes it.
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'test helpers (New-*, Start-*, Remove-*) make test objects; -WhatIf has no meaning in a test')]
param()

function Start-BackgroundCommand {
    <#
    .SYNOPSIS
        Starts a command line (after Import-Module RapidMessageTools) or a script block (with
        -ArgumentList, nothing imported) in a new runspace; returns the job at once.
    #>
    param(
        [Parameter(Mandatory, Position = 0)] [object] $Command,
        [object[]] $ArgumentList
    )
    $ps = [PowerShell]::Create()
    if ($Command -is [scriptblock]) {
        $null = $ps.AddScript($Command)
        foreach ($a in $ArgumentList) { $null = $ps.AddArgument($a) }
    }
    else {
        $null = $ps.AddScript("Import-Module RapidMessageTools; $Command")
    }
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    [pscustomobject]@{ PowerShell = $ps; Async = $ps.BeginInvoke(); Clock = $clock }
}

function Stop-BackgroundCommand {
    <#
    .SYNOPSIS
        Stops the job's command as Ctrl+C would (StopProcessing) and returns how many seconds the stop
        took. The runspace stays readable (variables, InvocationStateInfo) until Remove-BackgroundCommand.
    #>
    param([Parameter(Mandatory, Position = 0)] $Job)
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $Job.PowerShell.Stop()
    $clock.Elapsed.TotalSeconds
}

function Wait-BackgroundCommand {
    <#
    .SYNOPSIS
        Waits at most -TimeoutSec for the job's command to end and returns its output; on timeout stops it
        and throws. Disposes the job either way.
    #>
    param(
        [Parameter(Mandatory, Position = 0)] $Job,
        [Parameter(Mandatory, Position = 1)] [double] $TimeoutSec
    )
    try {
        if (-not $Job.Async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds($TimeoutSec))) {
            $Job.PowerShell.Stop()
            throw "The background command did not end within $TimeoutSec s."
        }
        $Job.PowerShell.EndInvoke($Job.Async)
    }
    finally {
        $Job.PowerShell.Dispose()
    }
}

function Remove-BackgroundCommand {
    <# .SYNOPSIS Stops the job's command if it still runs, then disposes the job (for finally blocks). #>
    param([Parameter(Mandatory, Position = 0)] [AllowNull()] $Job)
    if (-not $Job) { return }
    if (-not $Job.Async.IsCompleted) { $Job.PowerShell.Stop() }
    $Job.PowerShell.Dispose()
}
