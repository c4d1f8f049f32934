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
