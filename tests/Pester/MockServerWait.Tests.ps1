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

Describe 'Stop-RapidMockServer with clients connected' -Tag 'Integration' {
    BeforeAll {
        Import-Module RapidMessageTools -Force
    }

    It 'tells each client it is going away (close 1001) before dropping it' {
        $server = Start-RapidMockServer
        $ws = [System.Net.WebSockets.ClientWebSocket]::new()
        try {
            $ws.ConnectAsync([uri]$server.Url, [Threading.CancellationToken]::None).Wait(5000) | Should -BeTrue
            $cts = [Threading.CancellationTokenSource]::new(5000)
            $receive = $ws.ReceiveAsync([ArraySegment[byte]]::new([byte[]]::new(1024)), $cts.Token)
            $server | Stop-RapidMockServer
            $receive.Wait(5000) | Should -BeTrue
            $receive.Result.MessageType | Should -Be 'Close'
            $receive.Result.CloseStatus | Should -Be 'EndpointUnavailable'
        }
        finally {
            $ws.Dispose()
            $server | Stop-RapidMockServer
        }
    }
}
