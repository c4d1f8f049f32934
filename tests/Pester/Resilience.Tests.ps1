# The client and scenarios under server faults: a server that dies, restarts or stops answering ends the
# scenario within its timeout with Passed = false and a violation saying what happened; nothing hangs.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'test helpers (New-*, Start-*, Remove-*) make test objects; -WhatIf has no meaning in a test')]
param()

BeforeAll {
    Import-Module RapidMessageTools -Force

    # Runs Invoke-RapidScenario in another runspace so this one can break the server meanwhile.
    function Start-ScenarioInBackground([string] $Command) {
        $ps = [PowerShell]::Create()
        $null = $ps.AddScript("Import-Module RapidMessageTools; $Command")
        [pscustomobject]@{ PowerShell = $ps; Async = $ps.BeginInvoke(); Clock = [Diagnostics.Stopwatch]::StartNew() }
    }
    function Wait-Scenario($job, [int] $TimeoutSec) {
        if (-not $job.Async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds($TimeoutSec))) {
            $job.PowerShell.Stop()
            throw "The scenario did not end within $TimeoutSec s."
        }
        $out = $job.PowerShell.EndInvoke($job.Async)
        $job.PowerShell.Dispose()
        $out | Select-Object -Last 1
    }
    function Wait-Until([scriptblock] $Condition, [int] $TimeoutSec = 10) {
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
        while (-not (& $Condition)) {
            if ([DateTime]::UtcNow -gt $deadline) { throw "Timed out waiting for: $Condition" }
            Start-Sleep -Milliseconds 20
        }
    }
    function Get-FreePort {
        $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $l.Start(); $port = $l.LocalEndpoint.Port; $l.Stop(); $port
    }
}

Describe 'Scenarios when the server fails' -Tag 'Integration', 'Resilience' {
    It 'ends with UnexpectedClose, within its timeout, when the server dies mid-run' {
        $server = Start-RapidMockServer -ResponseDelay 0.01
        try {
            $job = Start-ScenarioInBackground "Invoke-RapidScenario Sequential -Url '$($server.Url)' -MessageCount 400 -TimeoutSec 3"
            Wait-Until { $server.Stats.Processed -ge 20 }
            $server | Stop-RapidMockServer
            $r = Wait-Scenario $job 15
            $r.Passed | Should -BeFalse
            $r.Violations.Code | Should -Contain 'UnexpectedClose'
            $r.Lost | Should -BeGreaterThan 0
            ($r.Delivered + $r.Rejected + $r.Lost) | Should -Be $r.Sent
            $job.Clock.Elapsed.TotalSeconds | Should -BeLessThan 12
        }
        finally { $server | Stop-RapidMockServer }
    }

    It 'reconnects to a restarted server and says the connection dropped' {
        $port = Get-FreePort
        $first = Start-RapidMockServer -Port $port -ResponseDelay 0.005
        $second = $null
        try {
            $job = Start-ScenarioInBackground "Invoke-RapidScenario WebSocketStability -Url 'ws://127.0.0.1:$port/ws' -Bursts 8 -BurstSize 20 -TimeoutSec 2"
            Wait-Until { $first.Stats.Processed -ge 25 }
            $first | Stop-RapidMockServer
            $second = Start-RapidMockServer -Port $port
            $r = Wait-Scenario $job 30
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
        $silent = [PowerShell]::Create()
        $null = $silent.AddScript({
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
        }).AddArgument($listener)
        $null = $silent.BeginInvoke()
        try {
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $r = Invoke-RapidScenario Sequential -Url "ws://127.0.0.1:$port/ws" -MessageCount 50 -TimeoutSec 1 -MaxInFlight 50
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 6
            $r.Passed | Should -BeFalse
            $r.Violations.Code | Should -Contain 'MissingReply'
            $r.Lost | Should -Be 50
            $r.Latency.Count | Should -Be 0 -Because 'a lost message is counted Lost, not as a latency sample at the timeout'
            @($r.Violations.Code) | Should -Not -Contain 'Latency'
        }
        finally {
            $listener.Stop()
            $silent.Stop()
            $silent.Dispose()
        }
    }
}
