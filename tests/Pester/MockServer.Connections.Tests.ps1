# The mock's connections: a client's close handshake completes promptly, and Stop-RapidMockServer closes
# the connections still open.
# Every server is on port 0, loopback, and stopped in AfterAll; every network wait has a timeout
# (Support/WsTestClient.ps1).
# The module, fresh, and the WebSocket test client with the checks these files share.
BeforeAll { . (Join-Path $PSScriptRoot 'Support/MockServerChecks.ps1') }
AfterAll { Clear-WsTestClient }

Describe 'Connection lifecycle' -Tag 'Integration' {
    It 'completes a client close handshake promptly' {
        $server = Start-RapidMockServer
        try {
            $c = New-WsTestClient $server.Url
            Send-WsUserMessage $c -MessageId 'cl-1' -SequenceId 1
            $null = Receive-WsJson $c -TimeoutSec 3
            $closed = Close-WsTestClient $c
            $closed.Error | Should -BeNullOrEmpty
            $closed.State | Should -Be 'Closed'
            # ClientWebSocket waits up to 1 s for the server to end the TCP connection after the
            # close handshake, so anything near 1 s means the server kept it open.
            $closed.Seconds | Should -BeLessThan 0.9
            Wait-Condition { $server.Stats.ConnectionsOpen -eq 0 } -TimeoutSec 3 | Should -BeTrue
        }
        finally {
            $server | Stop-RapidMockServer
        }
    }

    It 'closes open connections on Stop-RapidMockServer' {
        $server = Start-RapidMockServer
        try {
            $clients = foreach ($i in 1..3) {
                $c = New-WsTestClient $server.Url -Query @{ user_id = (New-TestId) }
                Send-WsUserMessage $c -MessageId "stop-$i" -SequenceId 1
                (@(Receive-WsJson $c -TimeoutSec 3))[0].type | Should -Be 'ai_response'
                $c
            }
            $server.Stats.ConnectionsOpen | Should -Be 3
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $server | Stop-RapidMockServer
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 3
            foreach ($c in $clients) {
                $end = Receive-WsEnd $c -TimeoutSec 2
                $end | Should -Not -BeNullOrEmpty
                $c.Socket.State | Should -BeIn 'Aborted', 'Closed', 'CloseReceived'
            }
            $server.Stats.ConnectionsOpen | Should -Be 0
            Test-TcpRefused $server.Port | Should -BeTrue
        }
        finally {
            $server | Stop-RapidMockServer
        }
    }
}
