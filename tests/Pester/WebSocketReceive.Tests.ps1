BeforeAll {
    Import-Module RapidMessageTools -Force
    . (Join-Path $PSScriptRoot 'Support/WsTestClient.ps1')
}

Describe 'Receiving without a Task per frame' {
    It 'binds the Memory overload of WebSocket.ReceiveAsync on PowerShell 7 (no Task and result object per frame)' -Tag 'Unit' -Skip:($PSVersionTable.PSEdition -eq 'Desktop') {
        [RapidMessageTools.RapidTestHooks]::UsesMemoryReceive | Should -BeTrue
    }

    It 'uses it only for sockets that implement it: ClientWebSocket does, the WebSocket base does not' -Tag 'Unit' -Skip:($PSVersionTable.PSEdition -eq 'Desktop') {
        [RapidMessageTools.RapidTestHooks]::ImplementsMemoryReceive([System.Net.WebSockets.ClientWebSocket]) | Should -BeTrue
        [RapidMessageTools.RapidTestHooks]::ImplementsMemoryReceive([System.Net.WebSockets.WebSocket]) | Should -BeFalse
    }

    It 'still receives whole and fragmented messages through it (client side)' -Tag 'Integration' {
        $server = Start-RapidMockServer
        try {
            $big = 'y' * 40000   # larger than the client's 16 KB receive buffer: arrives in several chunks
            $r = Invoke-RapidScenario Sequential -Url $server.Url -MessageCount 20
            $r.Delivered | Should -Be 20
            $c = New-WsTestClient $server.Url
            Send-WsUserMessage $c -MessageId 'big' -SequenceId 1 -Content $big
            $buffer = [byte[]]::new(8192); $text = [Text.StringBuilder]::new()
            do {
                $result = [RapidMessageTools.RapidTestHooks]::ReceiveChunkAsync($c.Socket, $buffer, [Threading.CancellationToken]::None).GetAwaiter().GetResult()
                $null = $text.Append([Text.Encoding]::UTF8.GetString($buffer, 0, $result.Item1))
            } until ($result.Item2)
            $reply = $text.ToString() | ConvertFrom-Json
            $reply.message_id | Should -Be 'big'
            $reply.content | Should -Be "AI response to: $big"
        }
        finally {
            Clear-WsTestClient
            $server | Stop-RapidMockServer
        }
    }
}

Describe 'An idle mock connection holds no HTTP request buffer' {
    # HttpListener reads each request into an 8 KB buffer it keeps for the connection's life; a WebSocket never
    # uses it again. Dropped, 10,000 idle connections hold 11.8 KB of managed heap each instead of 20.0 (bench/IdleMemory.ps1).
    It 'drops it for every WebSocket it accepts on PowerShell 7, and the connection still answers' -Tag 'Integration' -Skip:($PSVersionTable.PSEdition -eq 'Desktop') {
        [RapidMessageTools.RapidTestHooks]::MockCanReleaseRequestBuffer | Should -BeTrue
        $server = Start-RapidMockServer
        try {
            $before = [RapidMessageTools.RapidTestHooks]::MockReleasedRequestBuffers
            $r = Invoke-RapidScenario Sequential -Url $server.Url -MessageCount 20 -Connections 3
            $r.Passed | Should -BeTrue -Because ($r.Violations -join '; ')
            $r.Delivered | Should -Be 20
            ([RapidMessageTools.RapidTestHooks]::MockReleasedRequestBuffers - $before) | Should -Be $server.Stats.ConnectionsTotal
        }
        finally { $server | Stop-RapidMockServer }
    }
}

Describe 'The mock reads and writes its sockets in batches' {
    It 'can on PowerShell 7, whose WebSocket reads and writes a stream the mock can put its batching stream under' -Tag 'Unit' -Skip:($PSVersionTable.PSEdition -eq 'Desktop') {
        [RapidMessageTools.RapidTestHooks]::MockCanBatchSocketIo | Should -BeTrue
    }

    It 'answers 50 frames that arrive in one TCP write in order, with fewer socket writes than replies, and frame by frame when it cannot batch' -Tag 'Integration' -Skip:($PSVersionTable.PSEdition -eq 'Desktop') -TestCases @(
        @{ Batching = $true }
        @{ Batching = $false }
    ) {
        $saved = [RapidMessageTools.RapidTestHooks]::MockBatchesSocketIo
        [RapidMessageTools.RapidTestHooks]::MockBatchesSocketIo = $Batching
        $server = Start-RapidMockServer
        $tcp = [System.Net.Sockets.TcpClient]::new()
        try {
            $tcp.ReceiveTimeout = 5000
            if (-not $tcp.ConnectAsync([System.Net.IPAddress]::Loopback, $server.Port).Wait(5000)) { throw 'connect timed out' }
            $stream = $tcp.GetStream()
            $request = "GET /ws HTTP/1.1`r`nHost: 127.0.0.1:$($server.Port)`r`nUpgrade: websocket`r`nConnection: Upgrade`r`nSec-WebSocket-Key: $([Convert]::ToBase64String([byte[]](1..16)))`r`nSec-WebSocket-Version: 13`r`n`r`n"
            $bytes = [Text.Encoding]::ASCII.GetBytes($request)
            $stream.Write($bytes, 0, $bytes.Length)
            $head = ''
            while (-not $head.EndsWith("`r`n`r`n")) { $head += [char]$stream.ReadByte() }
            $head | Should -Match '^HTTP/1.1 101'
            # 50 client frames (masked with a zero key, so the payload is as written) in one write: one read of the mock gets them all.
            $burst = [IO.MemoryStream]::new()
            foreach ($i in 1..50) {
                $payload = [Text.Encoding]::UTF8.GetBytes("{`"type`":`"user_message`",`"message_id`":`"b-$i`",`"sequence_id`":$i,`"content`":`"m$i`"}")
                $burst.WriteByte(0x81); $burst.WriteByte(0x80 -bor $payload.Length); $burst.Write([byte[]]::new(4), 0, 4); $burst.Write($payload, 0, $payload.Length)
            }
            $before = [RapidMessageTools.RapidTestHooks]::MockBatchedSocketWrites
            $stream.Write($burst.ToArray(), 0, [int]$burst.Length)
            $ids = foreach ($i in 1..50) {
                $b0 = $stream.ReadByte(); $length = $stream.ReadByte()
                if ($length -eq 126) { $length = ($stream.ReadByte() -shl 8) -bor $stream.ReadByte() }
                $frame = [byte[]]::new($length); $read = 0
                while ($read -lt $length) { $read += $stream.Read($frame, $read, $length - $read) }
                $b0 | Should -Be 0x81
                ([Text.Encoding]::UTF8.GetString($frame) | ConvertFrom-Json).message_id
            }
            $writes = [RapidMessageTools.RapidTestHooks]::MockBatchedSocketWrites - $before
            $ids | Should -Be (1..50 | ForEach-Object { "b-$_" })
            if ($Batching) {
                $writes | Should -BeGreaterThan 0
                $writes | Should -BeLessThan 50
            }
            else {
                $writes | Should -Be 0
            }
        }
        finally {
            $tcp.Dispose()
            [RapidMessageTools.RapidTestHooks]::MockBatchesSocketIo = $saved
            $server | Stop-RapidMockServer
        }
    }
}
