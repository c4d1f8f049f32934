<#
.SYNOPSIS
    Runs the mock backend in its own process for the benchmark, so client and server memory are measured apart.
.DESCRIPTION
    Started by bench/Bench.ps1 with redirected standard input and output. Prints "URL <ws url>" once the mock
    listens, then answers one command per input line:
      heap   prints "HEAP <bytes> RSS <bytes>": managed heap after a full collection, and the working set;
      open   prints "OPEN <count>": WebSocket connections open now;
      pid    prints "PID <id>": this process (started through `dotnet pwsh`, it is not the one the bench started),
             whose CPU time and working set the bench reads from outside;
      stop   stops the mock and exits.
    End of input stops it too, so the mock never outlives the benchmark.
#>
param([string] $ModulePath = 'RapidMessageTools', [int] $QueueCapacity = 1000000)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$mock = Start-RapidMockServer -Port 0 -QueueCapacity $QueueCapacity
try {
    [Console]::Out.WriteLine("URL $($mock.Url)")
    [Console]::Out.Flush()
    while ($null -ne ($line = [Console]::In.ReadLine())) {
        switch ($line.Trim()) {
            'heap' {
                $heap = [GC]::GetTotalMemory($true)
                $process = [System.Diagnostics.Process]::GetCurrentProcess()
                [Console]::Out.WriteLine("HEAP $heap RSS $($process.WorkingSet64)")
                [Console]::Out.Flush()
            }
            'open' {
                [Console]::Out.WriteLine("OPEN $($mock.Stats.ConnectionsOpen)")
                [Console]::Out.Flush()
            }
            'pid' {
                [Console]::Out.WriteLine("PID $PID")
                [Console]::Out.Flush()
            }
            'stop' { return }
        }
    }
}
finally { $mock | Stop-RapidMockServer }
