# The mock under bad input: each malformed message is answered with its error code and the connection still
# serves; binary, fragmented, oversized and invalid UTF-8 frames.
# Every server is on port 0, loopback, and stopped in AfterAll; every network wait has a timeout
# (Support/WsTestClient.ps1).
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
param()

# The module, fresh, and the WebSocket test client with the checks these files share.
BeforeAll { . (Join-Path $PSScriptRoot 'Support/MockServerChecks.ps1') }
AfterAll { Clear-WsTestClient }

Describe 'Bad input' -Tag 'Integration' {
    BeforeAll {
        $server = Start-RapidMockServer -MaxMessageBytes 1024
    }
    AfterAll {
        $server | Stop-RapidMockServer
    }

    Context '<Name>' -ForEach @(
        @{ Name = 'text that is not JSON'; Text = '{"type": "user_message", '; Code = 'invalid_json' }
        @{ Name = 'trailing garbage after an object'; Text = '{"type":"ping"} x'; Code = 'invalid_json' }
        @{ Name = 'an empty text frame'; Text = ''; Code = 'invalid_json' }
        @{ Name = 'a JSON array'; Text = '[{"type":"ping"}]'; Code = 'invalid_message' }
        @{ Name = 'a JSON number'; Text = '42'; Code = 'invalid_message' }
        @{ Name = 'an object without type'; Text = '{"message_id":"x"}'; Code = 'invalid_message' }
        @{ Name = 'an unknown type'; Text = '{"type":"make_coffee"}'; Code = 'unknown_type' }
        @{ Name = 'user_message without message_id'; Text = '{"type":"user_message","sequence_id":1,"content":"x"}'; Code = 'invalid_message' }
        @{ Name = 'user_message without sequence_id'; Text = '{"type":"user_message","message_id":"b1","content":"x"}'; Code = 'invalid_message' }
        @{ Name = 'user_message without content'; Text = '{"type":"user_message","message_id":"b1","sequence_id":1}'; Code = 'invalid_message' }
        @{ Name = 'message_id as a number'; Text = '{"type":"user_message","message_id":5,"sequence_id":1,"content":"x"}'; Code = 'invalid_message' }
        @{ Name = 'sequence_id as a string'; Text = '{"type":"user_message","message_id":"b1","sequence_id":"1","content":"x"}'; Code = 'invalid_message' }
        @{ Name = 'sequence_id as a fraction'; Text = '{"type":"user_message","message_id":"b1","sequence_id":1.5,"content":"x"}'; Code = 'invalid_message' }
        @{ Name = 'content as an object'; Text = '{"type":"user_message","message_id":"b1","sequence_id":1,"content":{"a":1}}'; Code = 'invalid_message' }
        @{ Name = 'type as a number'; Text = '{"type":3}'; Code = 'invalid_message' }
        @{ Name = 'a lone surrogate escape in content'; Text = '{"type":"user_message","message_id":"b1","sequence_id":1,"content":"\ud800"}'; Code = 'invalid_json' }
        @{ Name = 'arrays nested 200 deep'; Text = ('[' * 200) + (']' * 200); Code = 'invalid_json' }
        @{ Name = 'objects nested 100 deep in a field'; Text = '{"type":"ping","x":' + ('{"a":' * 100) + '1' + ('}' * 100) + '}'; Code = 'invalid_json' }
    ) {
        It 'answers with error <Code>, and the connection still serves' {
            $c = New-WsTestClient $server.Url -Query @{ user_id = (New-TestId) }
            Send-WsText $c $Text
            $r = @(Receive-WsJson $c -TimeoutSec 3)
            $r.Count | Should -Be 1
            $r[0].type | Should -Be 'error'
            $r[0].code | Should -Be $Code
            $r[0].message | Should -Not -BeNullOrEmpty
            Send-WsUserMessage $c -MessageId 'after-bad' -SequenceId 1 -Content 'ok'
            $ok = @(Receive-WsJson $c -TimeoutSec 3)
            $ok[0].type | Should -Be 'ai_response'
            $ok[0].message_id | Should -Be 'after-bad'
            (Get-StateFrame $c).message_count | Should -Be 1
        }
    }

    It 'answers a binary frame with invalid_message, and the connection still serves' {
        $c = New-WsTestClient $server.Url -Query @{ user_id = (New-TestId) }
        Send-WsBinary $c ([System.Text.Encoding]::UTF8.GetBytes('{"type":"ping"}'))
        $r = @(Receive-WsJson $c -TimeoutSec 3)
        $r[0].type | Should -Be 'error'
        $r[0].code | Should -Be 'invalid_message'
        Send-WsUserMessage $c -MessageId 'after-binary' -SequenceId 1
        (@(Receive-WsJson $c -TimeoutSec 3))[0].message_id | Should -Be 'after-binary'
    }

    It 'puts a message sent in three fragments together' {
        $c = New-WsTestClient $server.Url -Query @{ user_id = (New-TestId) }
        $enc = [System.Text.Encoding]::UTF8
        Send-WsFrame $c $enc.GetBytes('{"type":"user_message",') -NotEndOfMessage
        Send-WsFrame $c $enc.GetBytes('"message_id":"frag","sequence_id":1,') -NotEndOfMessage
        Send-WsFrame $c $enc.GetBytes('"content":"in pieces"}')
        $r = @(Receive-WsJson $c -TimeoutSec 3)
        $r[0].type | Should -Be 'ai_response'
        $r[0].content | Should -Be 'AI response to: in pieces'
    }

    It 'accepts a frame just under -MaxMessageBytes' {
        $c = New-WsTestClient $server.Url -Query @{ user_id = (New-TestId) }
        $content = 'y' * 900
        Send-WsUserMessage $c -MessageId 'near-limit' -SequenceId 1 -Content $content
        $r = @(Receive-WsJson $c -TimeoutSec 3)
        $r[0].content | Should -Be "AI response to: $content"
    }

    It 'closes with 1009 on a frame over -MaxMessageBytes, and serves another client' {
        $before = $server.Stats.OversizeClosed
        $c = New-WsTestClient $server.Url -Query @{ user_id = (New-TestId) }
        Send-WsUserMessage $c -MessageId 'too-big' -SequenceId 1 -Content ('z' * 2000)
        $end = Receive-WsEnd $c -TimeoutSec 3
        $end.MessageType | Should -Be 'Close'
        $end.CloseStatus | Should -Be 'MessageTooBig'
        (Close-WsTestClient $c).State | Should -Be 'Closed'
        $server.Stats.OversizeClosed | Should -Be ($before + 1)
        Assert-ServerServes $server
    }

    It 'closes with 1007 on a text frame of invalid UTF-8 (RFC 6455 8.1), and serves another client' {
        $baseline = $server.Stats.ConnectionsOpen
        $c = New-WsTestClient $server.Url -Query @{ user_id = (New-TestId) }
        Send-WsFrame $c ([byte[]](0x7B, 0x22, 0x74, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D)) -MessageType Text
        $end = Receive-WsEnd $c -TimeoutSec 3
        $end.MessageType | Should -Be 'Close'
        $end.CloseStatus | Should -Be 'InvalidPayloadData'
        $null = Close-WsTestClient $c
        Assert-ServerServes $server
        Wait-Condition { $server.Stats.ConnectionsOpen -eq $baseline } | Should -BeTrue
    }
}
