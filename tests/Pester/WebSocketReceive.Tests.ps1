BeforeAll {
    Import-Module RapidMessageTools -Force
    . (Join-Path $PSScriptRoot 'Support/WsTestClient.ps1')
    $script:receive = [RapidMessageTools.Scenarios.ScenarioRecorder].Assembly.GetType('RapidMessageTools.Protocol.WebSocketReceive')
}

Describe 'Receiving without a Task per frame' {
    It 'binds the Memory overload of WebSocket.ReceiveAsync on PowerShell 7 (no Task and result object per frame)' -Tag 'Unit' -Skip:($PSVersionTable.PSEdition -eq 'Desktop') {
        $script:receive.GetProperty('UsesMemoryOverload', [Reflection.BindingFlags]'Static,Public,NonPublic').GetValue($null) | Should -BeTrue
    }

    It 'uses it only for sockets that implement it: ClientWebSocket does, the WebSocket base does not' -Tag 'Unit' -Skip:($PSVersionTable.PSEdition -eq 'Desktop') {
        $implements = $script:receive.GetMethod('Implements', [Reflection.BindingFlags]'Static,Public,NonPublic')
        $implements.Invoke($null, @([System.Net.WebSockets.ClientWebSocket])) | Should -BeTrue
        $implements.Invoke($null, @([System.Net.WebSockets.WebSocket])) | Should -BeFalse
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
                $chunk = $script:receive.GetMethod('ReceiveAsync', [Reflection.BindingFlags]'Static,Public,NonPublic').Invoke($null, @($c.Socket, $buffer, [Threading.CancellationToken]::None))
                $result = $chunk.AsTask().GetAwaiter().GetResult()
                $null = $text.Append([Text.Encoding]::UTF8.GetString($buffer, 0, $result.Count))
            } until ($result.EndOfMessage)
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
