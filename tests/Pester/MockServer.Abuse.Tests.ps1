# The mock under abuse: connect/close cycles, vanished and half-sent sockets, absurd frame lengths,
# slowloris handshakes, floods of tiny frames and bad tokens; it keeps serving and returns to its baseline.
# Every server is on port 0, loopback, and stopped in AfterAll; every network wait has a timeout
# (Support/WsTestClient.ps1).
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSReviewUnusedParameter', '', Justification = 'scriptblocks take the parameters their callers pass; closures read them where the rule does not look')]
param()

# The module, fresh, and the WebSocket test client with the checks these files share.
BeforeAll { . (Join-Path $PSScriptRoot 'Support/MockServerChecks.ps1') }
AfterAll { Clear-WsTestClient }

Describe 'Abuse' -Tag 'Integration', 'Abuse' {
    BeforeAll {
        $server = Start-RapidMockServer

        # A TCP connection that has done the WebSocket upgrade by hand; returns the TcpClient and its stream.
        function Open-RawWebSocket {
            param($Server)
            $tcp = [System.Net.Sockets.TcpClient]::new()
            $tcp.ReceiveTimeout = 3000
            $tcp.SendTimeout = 3000
            if (-not $tcp.ConnectAsync([System.Net.IPAddress]::Loopback, $Server.Port).Wait(3000)) { throw 'connect timed out' }
            $stream = $tcp.GetStream()
            $key = [Convert]::ToBase64String([byte[]](1..16))
            $request = "GET /ws HTTP/1.1`r`nHost: 127.0.0.1:$($Server.Port)`r`nUpgrade: websocket`r`nConnection: Upgrade`r`nSec-WebSocket-Key: $key`r`nSec-WebSocket-Version: 13`r`n`r`n"
            $bytes = [System.Text.Encoding]::ASCII.GetBytes($request)
            $stream.Write($bytes, 0, $bytes.Length)
            $head = [System.Text.StringBuilder]::new()
            while (-not $head.ToString().EndsWith("`r`n`r`n")) {
                $b = $stream.ReadByte()
                if ($b -lt 0) { throw 'the server closed during the handshake' }
                $null = $head.Append([char]$b)
            }
            [pscustomobject]@{ Tcp = $tcp; Stream = $stream; Response = $head.ToString() }
        }

        function Assert-BackToBaseline {
            param($Server, [long] $Baseline)
            Wait-Condition { $Server.Stats.ConnectionsOpen -eq $Baseline } -TimeoutSec 5 | Should -BeTrue -Because "ConnectionsOpen is $($Server.Stats.ConnectionsOpen), baseline $Baseline"
        }
    }
    AfterAll {
        $server | Stop-RapidMockServer
    }

    BeforeEach {
        $baseline = $server.Stats.ConnectionsOpen
    }

    It 'survives 200 connect/close cycles' {
        $total = $server.Stats.ConnectionsTotal
        foreach ($i in 1..200) {
            $c = New-WsTestClient $server.Url
            $closed = Close-WsTestClient $c -TimeoutSec 3
            if ($closed.State -ne 'Closed') { $closed.State | Should -Be 'Closed' -Because "cycle $i" }
        }
        $server.Stats.ConnectionsTotal | Should -Be ($total + 200)
        Assert-BackToBaseline $server $baseline
        Assert-ServerServes $server
    }

    It 'cleans up after clients that connect and vanish (abort)' {
        $clients = foreach ($i in 1..25) {
            $c = New-WsTestClient $server.Url -Query @{ user_id = (New-TestId) }
            Send-WsUserMessage $c -MessageId "vanish-$i" -SequenceId 1
            $c
        }
        Wait-Condition { $server.Stats.ConnectionsOpen -ge ($baseline + 25) } | Should -BeTrue
        foreach ($c in $clients) { $c.Socket.Abort(); Remove-WsTestClient $c }
        Assert-BackToBaseline $server $baseline
        Assert-ServerServes $server
    }

    It 'cleans up after a socket closed in the middle of a frame' {
        $raw = Open-RawWebSocket $server
        $raw.Response | Should -BeLike 'HTTP/1.1 101*'
        Wait-Condition { $server.Stats.ConnectionsOpen -eq ($baseline + 1) } | Should -BeTrue
        # A masked text frame announcing 100 bytes, of which 10 are sent.
        $partial = [byte[]](@(0x81, (0x80 -bor 100), 1, 2, 3, 4) + (1..10))
        $raw.Stream.Write($partial, 0, $partial.Length)
        $raw.Stream.Flush()
        Start-Sleep -Milliseconds 100
        $raw.Tcp.Close()
        Assert-BackToBaseline $server $baseline
        Assert-ServerServes $server
    }

    It 'cleans up after a socket that sends a frame header with an absurd length' {
        $raw = Open-RawWebSocket $server
        # A masked binary frame claiming 2^62 bytes.
        $header = [byte[]](0x82, 0xFF, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 9, 9, 9)
        $raw.Stream.Write($header, 0, $header.Length)
        Start-Sleep -Milliseconds 100
        $raw.Tcp.Close()
        Assert-BackToBaseline $server $baseline
        Assert-ServerServes $server
    }

    It 'serves others while slowloris handshakes stall' {
        $stalled = foreach ($i in 1..20) {
            $tcp = [System.Net.Sockets.TcpClient]::new()
            if (-not $tcp.ConnectAsync([System.Net.IPAddress]::Loopback, $server.Port).Wait(3000)) { throw 'connect timed out' }
            $half = [System.Text.Encoding]::ASCII.GetBytes("GET /ws HTTP/1.1`r`nHost: 127.0.0.1`r`nUpgrade: web")
            $tcp.GetStream().Write($half, 0, $half.Length)
            $tcp
        }
        try {
            Assert-ServerServes $server
            (Invoke-RestMethod -Uri $server.HealthUrl -TimeoutSec 5).status | Should -Be 'ok'
        }
        finally {
            $stalled | ForEach-Object { $_.Dispose() }
        }
        Assert-BackToBaseline $server $baseline
        Assert-ServerServes $server
    }

    It 'answers a flood of 5,000 tiny frames, every one' {
        $c = New-WsTestClient $server.Url -Query @{ user_id = (New-TestId) }
        $ping = [System.Text.Encoding]::UTF8.GetBytes('{"type":"ping"}')
        foreach ($i in 1..5000) { Send-WsFrame $c $ping }
        $pongs = 0
        $other = 0
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        while ($pongs + $other -lt 5000 -and $clock.Elapsed.TotalSeconds -lt 20) {
            $f = Receive-WsFrame $c -TimeoutSec 5
            if ($null -eq $f -or $f.MessageType -ne 'Text') { break }
            if ($f.Text -ceq '{"type":"pong"}') { $pongs++ } else { $other++ }
        }
        $pongs | Should -Be 5000
        $other | Should -Be 0
        Send-WsUserMessage $c -MessageId 'after-flood' -SequenceId 1
        (@(Receive-WsJson $c -TimeoutSec 3))[0].message_id | Should -Be 'after-flood'
        $null = Close-WsTestClient $c
        Assert-BackToBaseline $server $baseline
    }

    Context 'tokens under -RequireAuth' {
        BeforeAll {
            $auth = Start-RapidMockServer -RequireAuth
            $stranger = Start-RapidMockServer -RequireAuth
        }
        AfterAll {
            $auth, $stranger | Stop-RapidMockServer
        }

        It 'refuses a token that is <Name> with 401, as header and as ?token=' -ForEach @(
            @{ Name = 'empty'; Make = { param($Auth, $Other) '' } }
            @{ Name = 'not a JWT'; Make = { param($Auth, $Other) 'not-a-token' } }
            @{ Name = 'three dots of garbage'; Make = { param($Auth, $Other) 'a.b.c' } }
            @{ Name = 'expired'; Make = { param($Auth, $Other) $Auth.IssueToken('u', $null, [TimeSpan]::FromSeconds(-10)) } }
            @{ Name = 'signed with another server''s key'; Make = { param($Auth, $Other) $Other.IssueToken('u') } }
            @{ Name = 'tampered (subject changed)'; Make = {
                    param($Auth, $Other)
                    $parts = $Auth.IssueToken('alice').Split('.')
                    $forged = [Convert]::ToBase64String([System.Text.Encoding]::UTF8.GetBytes('{"sub":"mallory","exp":9999999999}')).TrimEnd('=').Replace('+', '-').Replace('/', '_')
                    $parts[0] + '.' + $forged + '.' + $parts[2]
                }
            }
            @{ Name = 'alg none'; Make = {
                    param($Auth, $Other)
                    $b64 = { param($s) [Convert]::ToBase64String([System.Text.Encoding]::UTF8.GetBytes($s)).TrimEnd('=').Replace('+', '-').Replace('/', '_') }
                    (& $b64 '{"alg":"none","typ":"JWT"}') + '.' + (& $b64 '{"sub":"mallory","exp":9999999999}') + '.'
                }
            }
        ) {
            $token = & $Make $auth $stranger
            $before = $auth.Stats.AuthRejected
            Get-WsUpgradeStatus $auth.Url -Headers @{ Authorization = "Bearer $token" } | Should -Be 401
            Get-WsUpgradeStatus $auth.Url -Query @{ token = $token } | Should -Be 401
            $auth.Stats.AuthRejected | Should -Be ($before + 2)
            $auth.Stats.ConnectionsOpen | Should -Be 0
        }

        It 'accepts a token it issued itself (the control)' {
            Get-WsUpgradeStatus $auth.Url -Headers @{ Authorization = "Bearer $($auth.IssueToken('u'))" } | Should -Be 101
        }
    }
}
