# Runs a script in a fresh PowerShell 7 process that does not depend on the clone: the same pwsh as this
# one, started by its own path (`dotnet pwsh` works only where the clone's tool manifest is). Dot-source
# inside BeforeAll.

# The executable and leading arguments that start this process's pwsh again.
function Get-PwshCommandLine {
    $process = (Get-Process -Id $PID).Path
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') {
        # The .NET tool: dotnet <...>/pwsh.dll
        return @{ File = $process; Prefix = @([Environment]::GetCommandLineArgs()[0]) }
    }
    @{ File = $process; Prefix = @() }
}

# Runs -Command in a fresh pwsh in -WorkingDirectory with -Environment changes (a $null value removes a
# variable); returns exit code, standard output and standard error. Kills the process after -TimeoutSec.
function Invoke-FreshPwsh {
    param(
        [Parameter(Mandatory)] [string] $Command,
        [Parameter(Mandatory)] [string] $WorkingDirectory,
        [hashtable] $Environment = @{},
        [int] $TimeoutSec = 300
    )
    $line = Get-PwshCommandLine
    $psi = [Diagnostics.ProcessStartInfo]::new($line.File)
    foreach ($a in @($line.Prefix) + @('-NoProfile', '-NonInteractive', '-Command', $Command)) { $psi.ArgumentList.Add($a) }
    $psi.WorkingDirectory = $WorkingDirectory
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    foreach ($k in $Environment.Keys) {
        if ($null -eq $Environment[$k]) { $null = $psi.Environment.Remove($k) } else { $psi.Environment[$k] = [string] $Environment[$k] }
    }
    $p = [Diagnostics.Process]::Start($psi)
    $out = $p.StandardOutput.ReadToEndAsync()
    $err = $p.StandardError.ReadToEndAsync()
    if (-not $p.WaitForExit($TimeoutSec * 1000)) {
        $p.Kill($true)
        throw "The fresh pwsh did not finish in $TimeoutSec s. Output so far: $($out.Result)"
    }
    $p.WaitForExit()
    [pscustomobject]@{ ExitCode = $p.ExitCode; StdOut = $out.Result; StdErr = $err.Result }
}
