Describe 'Start-RapidMockServer -Wait' -Tag 'Integration' {
    BeforeAll {
        Import-Module RapidMessageTools -Force
    }

    It 'serves in the foreground until stopped (Ctrl+C), then frees its port' {
        $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $probe.Start(); $port = $probe.LocalEndpoint.Port; $probe.Stop()
        $ps = [PowerShell]::Create()
        $null = $ps.AddScript("Import-Module RapidMessageTools; Start-RapidMockServer -Port $port -Wait")
        $async = $ps.BeginInvoke()
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            $health = $null
            while (-not $health -and [DateTime]::UtcNow -lt $deadline) {
                try { $health = Invoke-RestMethod "http://127.0.0.1:$port/health" -TimeoutSec 1 } catch { Start-Sleep -Milliseconds 50 }
            }
            $health.status | Should -Be 'ok'
            $async.IsCompleted | Should -BeFalse -Because '-Wait keeps the cmdlet running'

            $clock = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 3
            { Invoke-RestMethod "http://127.0.0.1:$port/health" -TimeoutSec 1 } | Should -Throw
        }
        finally { $ps.Dispose() }
    }
}
