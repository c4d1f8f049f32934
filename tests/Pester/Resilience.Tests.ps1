# The client and scenarios under server faults: a server that dies, restarts or stops answering ends the
# scenario within its timeout with Passed = false and a violation saying what happened; nothing hangs.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'test helpers (New-*, Start-*, Remove-*) make test objects; -WhatIf has no meaning in a test')]
param()

BeforeAll {
    Import-Module RapidMessageTools -Force
    # Scenarios run in another runspace (Start-BackgroundCommand) so this one can break the server meanwhile.
    . (Join-Path $PSScriptRoot 'Support/BackgroundCommand.ps1')
    . (Join-Path $PSScriptRoot 'Support/Wait.ps1')
    . (Join-Path $PSScriptRoot 'Support/TestServers.ps1')
}

Describe 'Scenarios when the server fails' -Tag 'Integration', 'Resilience' {
    It 'ends with UnexpectedClose, within its timeout, when the server dies mid-run' {
        $server = Start-RapidMockServer -ResponseDelay 0.01
        try {
            $job = Start-BackgroundCommand "Invoke-RapidScenario Sequential -Url '$($server.Url)' -MessageCount 400 -TimeoutSec 3"
            Wait-Condition { $server.Stats.Processed -ge 20 } -TimeoutSec 10 | Should -BeTrue
            $server | Stop-RapidMockServer
            $r = Wait-BackgroundCommand $job 15 | Select-Object -Last 1
            $r.Passed | Should -BeFalse
            $r.Violations.Code | Should -Contain 'UnexpectedClose'
            $r.Lost | Should -BeGreaterThan 0
            ($r.Delivered + $r.Rejected + $r.Lost) | Should -Be $r.Sent
            $job.Clock.Elapsed.TotalSeconds | Should -BeLessThan 12
        }
        finally { $server | Stop-RapidMockServer }
    }

    It 'reconnects to a restarted server and says the connection dropped' {
        $port = Get-ClosedPort
        $first = Start-RapidMockServer -Port $port -ResponseDelay 0.005
        $second = $null
        try {
            $job = Start-BackgroundCommand "Invoke-RapidScenario WebSocketStability -Url 'ws://127.0.0.1:$port/ws' -Bursts 8 -BurstSize 20 -TimeoutSec 2"
            Wait-Condition { $first.Stats.Processed -ge 25 } -TimeoutSec 10 | Should -BeTrue
            $first | Stop-RapidMockServer
            $second = Start-RapidMockServer -Port $port
            $r = Wait-BackgroundCommand $job 30 | Select-Object -Last 1
            $r.Passed | Should -BeFalse
            $r.Violations.Code | Should -Contain 'UnexpectedClose'
            $r.Violations.Code | Should -Not -Contain 'ReconnectFailed'
            $r.ConnectionDrops | Should -BeGreaterOrEqual 1
            $second.Stats.MessagesReceived | Should -BeGreaterThan 0
            $second.Stats.ConnectionsOpen | Should -Be 0
        }
        finally { $first, $second | Where-Object { $_ } | Stop-RapidMockServer }
    }

    It 'counts messages lost, within the timeout, when the server accepts the socket and never answers' {
        # A WebSocket server that completes the handshake, then neither reads nor writes.
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        $port = $listener.LocalEndpoint.Port
        $silent = Start-BackgroundCommand -ArgumentList $listener {
            param($listener)
            $client = $listener.AcceptTcpClient()
            $stream = $client.GetStream()
            $reader = [IO.StreamReader]::new($stream, [Text.Encoding]::ASCII, $false, 1024, $true)
            $key = $null
            while (($line = $reader.ReadLine())) { if ($line -match '^Sec-WebSocket-Key:\s*(.+)$') { $key = $Matches[1].Trim() } }
            $sha = [Security.Cryptography.SHA1]::Create()
            $accept = [Convert]::ToBase64String($sha.ComputeHash([Text.Encoding]::ASCII.GetBytes($key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')))
            $bytes = [Text.Encoding]::ASCII.GetBytes("HTTP/1.1 101 Switching Protocols`r`nUpgrade: websocket`r`nConnection: Upgrade`r`nSec-WebSocket-Accept: $accept`r`n`r`n")
            $stream.Write($bytes, 0, $bytes.Length)
            Start-Sleep -Seconds 8
            $client.Close()
        }
        try {
            $r = Invoke-RapidScenario Sequential -Url "ws://127.0.0.1:$port/ws" -MessageCount 50 -TimeoutSec 1 -MaxInFlight 50
            # Not a clock: had the run waited for the server, it would have seen the socket close (8 s in).
            @($r.Violations.Code) | Should -Not -Contain 'UnexpectedClose' -Because 'the run ends on its own 1-s timeout, before the server closes the socket'
            $r.Passed | Should -BeFalse
            $r.Violations.Code | Should -Contain 'MissingReply'
            $r.Lost | Should -Be 50
            $r.Latency.Count | Should -Be 0 -Because 'a lost message is counted Lost, not as a latency sample at the timeout'
            @($r.Violations.Code) | Should -Not -Contain 'Latency'
        }
        finally {
            $listener.Stop()
            Remove-BackgroundCommand $silent
        }
    }
}
