# Protocol profiles: a profile is checked whole before anything connects (each mistake named by its key),
# the shipped examples are valid, and the mock speaks a profile on the wire as an independent client sees it:
# a JSON profile's names, nesting and error codes, and SignalR's handshake, records, invocations and Completions.
# Every server is on port 0, loopback, and stopped in AfterAll; every network wait has a timeout.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
param()

BeforeAll {
    . (Join-Path $PSScriptRoot 'Support/MockServerChecks.ps1')
    $examples = Join-Path (Get-Module RapidMessageTools).ModuleBase 'Examples'
    $acme = Join-Path $examples 'acme.json'
    $hubProfile = Join-Path $examples 'signalr-chat.json'
    $rs = [char]0x1E

    # SignalR records over the raw test client: each call returns the JSON records of one or more frames.
    function Receive-HubRecord($Client, [double] $TimeoutSec = 5) {
        $text = ''
        do {
            $f = Receive-WsFrame $Client -TimeoutSec $TimeoutSec
            if ($f.MessageType -ne 'Text') { throw "expected a text frame, got $($f.MessageType)" }
            $text += $f.Text
        } until ($text.EndsWith($rs))
        $text.TrimEnd($rs).Split($rs) | ForEach-Object { $_ | ConvertFrom-Json }
    }
}
AfterAll { Clear-WsTestClient }

Describe 'A profile is checked before any connection' -Tag 'Unit' {
    Context '<Name>' -ForEach @(
        @{ Name = 'an unknown canonical message'; Key = 'Messages.user_mesage'; Profile = @{ Messages = @{ user_mesage = @{ Type = 'x' } } } }
        @{ Name = 'an unknown field'; Key = 'Messages.ai_response.Fields.messageid'; Profile = @{ Messages = @{ ai_response = @{ Fields = @{ messageid = 'id' } } } } }
        @{ Name = 'a path with an empty segment'; Key = 'Messages.ai_response.Fields.message_id'; Profile = @{ Messages = @{ ai_response = @{ Fields = @{ message_id = 'payload..id' } } } } }
        @{ Name = 'a path with a wildcard'; Key = 'Messages.ai_response.Fields.message_id'; Profile = @{ Messages = @{ ai_response = @{ Fields = @{ message_id = 'payload[*].id' } } } } }
        @{ Name = 'two messages with one wire type'; Key = 'Messages.ai_response_chunk.Type'; Profile = @{ Messages = @{ ai_response = @{ Type = 'reply' }; ai_response_chunk = @{ Type = 'reply' } } } }
        @{ Name = 'a Type that clashes with an unnamed message'; Key = 'Messages.error.Type'; Profile = @{ Messages = @{ ai_response = @{ Type = 'error' } } } }
        @{ Name = 'Invoke without Reply'; Key = 'Messages.get_agent_state.Invoke'; Profile = @{ Messages = @{ get_agent_state = @{ Invoke = $true } } } }
        @{ Name = 'Reply without Invoke'; Key = 'Messages.get_agent_state.Reply'; Profile = @{ Messages = @{ get_agent_state = @{ Reply = 'agent_state' } } } }
        @{ Name = 'a Reply that is no server message'; Key = 'Messages.get_agent_state.Reply'; Profile = @{ Messages = @{ get_agent_state = @{ Invoke = $true; Reply = 'user_message' } } } }
        @{ Name = 'a SignalR profile whose TypeField is not target'; Key = 'TypeField'; Profile = @{ Transport = 'SignalR'; TypeField = 'op' } }
        @{ Name = 'a SignalR field outside arguments'; Key = 'Messages.user_message.Fields.content'; Profile = @{ Transport = 'SignalR'; Messages = @{ user_message = @{ Type = 'Send'; Fields = @{ content = 'text' } } } } }
        @{ Name = 'a SignalR reply with a target'; Key = 'Messages.agent_state.Type'; Profile = @{ Transport = 'SignalR'; Messages = @{ get_agent_state = @{ Type = 'Get'; Invoke = $true; Reply = 'agent_state' }; agent_state = @{ Type = 'State' } } } }
        @{ Name = 'a value and an object at one path'; Key = 'Messages.user_message.Fields.content'; Profile = @{ Messages = @{ user_message = @{ Fields = @{ message_id = 'payload'; content = 'payload.text' } } } } }
        @{ Name = 'an unknown error code'; Key = 'ErrorCodes.queue_ful'; Profile = @{ ErrorCodes = @{ queue_ful = 'overloaded' } } }
        @{ Name = 'an unknown Unsupported message'; Key = 'Unsupported.0'; Profile = @{ Unsupported = @('pingg') } }
        @{ Name = 'a message both mapped and Unsupported'; Key = 'Messages.ping'; Profile = @{ Messages = @{ ping = @{ Type = 'p' } }; Unsupported = @('ping') } }
        @{ Name = 'an unknown top-level key'; Key = 'Massages'; Profile = @{ Massages = @{} } }
        @{ Name = 'an unknown Transport'; Key = 'Transport'; Profile = @{ Transport = 'Grpc' } }
        @{ Name = 'an unknown Correlation'; Key = 'Correlation'; Profile = @{ Correlation = 'Guess' } }
    ) {
        It 'is refused with ProtocolProfileInvalid naming <Key>' {
            $err = { Test-RapidProtocol $Profile } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'ProtocolProfileInvalid,*'
            $err.TargetObject | Should -Be $Key
            $err.Exception.Message | Should -BeLike "*$Key*"
        }
    }

    It 'names the near miss in an unknown field' {
        $err = { Test-RapidProtocol @{ Messages = @{ user_message = @{ Fields = @{ messageId = 'id' } } } } } | Should -Throw -PassThru
        $err.Exception.Message | Should -BeLike '*did you mean message_id*'
    }

    It 'refuses a file that is not JSON, naming the file' {
        $path = Join-Path $TestDrive 'broken.json'
        Set-Content $path '{ "Name": "broken", '
        $err = { Test-RapidProtocol $path } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ProtocolProfileInvalid,*'
        $err.Exception.Message | Should -BeLike "*$path*not valid JSON*"
    }

    It 'refuses a path that is neither a built-in name nor a file (ProtocolProfileNotFound)' {
        $err = { Test-RapidProtocol (Join-Path $TestDrive 'nope.json') } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ProtocolProfileNotFound,*'
    }

    It 'stops Invoke-RapidScenario before it connects' {
        # Nothing listens on the port: a connection attempt would fail with ScenarioConnectFailed instead.
        $err = { Invoke-RapidScenario Sequential -Url 'ws://127.0.0.1:9/ws' -Protocol @{ Messages = @{ nope = @{} } } } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ProtocolProfileInvalid,*'
    }

    It 'reads RAPID_TEST_PROTOCOL when -Protocol is absent' {
        $saved = $env:RAPID_TEST_PROTOCOL
        try {
            $env:RAPID_TEST_PROTOCOL = Join-Path $TestDrive 'missing.json'
            $err = { Test-RapidProtocol } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'ProtocolProfileNotFound,*'
            $err.Exception.Message | Should -BeLike '*RAPID_TEST_PROTOCOL*'
        }
        finally { $env:RAPID_TEST_PROTOCOL = $saved }
    }
}

Describe 'The shipped profiles' -Tag 'Unit' {
    It 'acme.json is valid and maps what it says' {
        $check = Test-RapidProtocol $acme
        $check.Profile | Should -Be 'acme'
        $rows = @{}; $check.Messages | ForEach-Object { $rows[$_.Message] = $_ }
        $rows.user_message.WireType | Should -Be 'chat.send'
        $rows.user_message.MappedFields | Should -Contain 'content=payload.text'
        $rows.ai_response.WireType | Should -Be 'chat.reply'
        $rows.error.WireType | Should -Be 'fault'
        @($check.Messages | Where-Object Status -eq 'Unsupported').Count | Should -Be 0
    }

    It 'signalr-chat.json is valid: invocations by target, replies read from Completions' {
        $check = Test-RapidProtocol $hubProfile
        $check.Transport | Should -Be 'SignalR'
        $rows = @{}; $check.Messages | ForEach-Object { $rows[$_.Message] = $_ }
        $rows.user_message.WireType | Should -Be 'SendMessage'
        $rows.agent_state.WireType | Should -BeNullOrEmpty
        $rows.agent_state.MappedFields | Should -Contain 'message_count=result.messageCount'
    }

    It 'a .psd1 hashtable gives the same profile as the JSON file' {
        $psd1 = Join-Path $TestDrive 'acme.psd1'
        Set-Content $psd1 "@{ Name = 'acme'; TypeField = 'op'; Messages = @{ user_message = @{ Type = 'chat.send'; Fields = @{ message_id = 'payload.id' } } }; ErrorCodes = @{ queue_full = 'overloaded' } }"
        $check = Test-RapidProtocol (Import-PowerShellDataFile $psd1)
        ($check.Messages | Where-Object Message -eq 'user_message').MappedFields | Should -Contain 'message_id=payload.id'
    }

    It 'a profile with a mistake stops Test-RapidProtocol naming the key (the failure side of the checks above)' {
        $bad = Get-Content $acme -Raw | ConvertFrom-Json -AsHashtable
        $bad.Messages.ai_response.Fields['reply_to'] = 'payload.reply_to'
        $err = { Test-RapidProtocol $bad } | Should -Throw -PassThru
        $err.TargetObject | Should -Be 'Messages.ai_response.Fields.reply_to'
    }
}

Describe 'The mock speaks a JSON profile' -Tag 'Integration' {
    BeforeAll {
        $server = Start-RapidMockServer -Protocol $acme -QueueCapacity 2 -ResponseDelay 0.2
    }
    AfterAll { $server | Stop-RapidMockServer }

    It 'answers chat.send with chat.reply, fields where the profile puts them' {
        $c = New-WsTestClient $server.Url -Query @{ user_id = (New-TestId) }
        Send-WsJson $c @{ op = 'chat.send'; payload = @{ id = 'm1'; seq = 1; text = 'hello'; agent = 'a1' } }
        $r = Receive-WsJson $c
        $r.op | Should -Be 'chat.reply'
        $r.payload.reply_to | Should -Be 'm1'
        $r.payload.text | Should -Be 'AI response to: hello'
        $r.payload.agent | Should -Be 'a1'
        $r.PSObject.Properties.Name | Should -Not -Contain 'type'
        Remove-WsTestClient $c
    }

    It 'replays a repeat with payload.replayed and answers state queries by rid' {
        $c = New-WsTestClient $server.Url -Query @{ user_id = (New-TestId) }
        Send-WsJson $c @{ op = 'chat.send'; payload = @{ id = 'r1'; seq = 1; text = 'x'; agent = 'a1' } }
        $null = Receive-WsJson $c
        Send-WsJson $c @{ op = 'chat.send'; payload = @{ id = 'r1'; seq = 1; text = 'x'; agent = 'a1' } }
        (Receive-WsJson $c).payload.replayed | Should -BeTrue
        Send-WsJson $c @{ op = 'agent.get'; rid = 'q1'; payload = @{ agent = 'a1' } }
        $s = Receive-WsJson $c
        $s.op | Should -Be 'agent.state'
        $s.rid | Should -Be 'q1'
        $s.payload.stats.count | Should -Be 1
        Remove-WsTestClient $c
    }

    It 'writes its error codes: overloaded for a full queue, bad_json, unsupported_op' {
        $c = New-WsTestClient $server.Url -Query @{ user_id = (New-TestId) }
        1..4 | ForEach-Object { Send-WsJson $c @{ op = 'chat.send'; payload = @{ id = "f$_"; seq = $_; text = 'x'; agent = 'a1' } } }
        $frames = 1..4 | ForEach-Object { Receive-WsJson $c }
        $faults = @($frames | Where-Object op -eq 'fault')
        $faults.Count | Should -BeGreaterThan 0
        $faults[0].error.code | Should -Be 'overloaded'
        $faults[0].error.ref | Should -Match '^f\d$'
        Send-WsText $c '{"op": "chat.send", '
        (Receive-WsJson $c).error.code | Should -Be 'bad_json'
        Send-WsJson $c @{ op = 'make.coffee' }
        (Receive-WsJson $c).error.code | Should -Be 'unsupported_op'
        Remove-WsTestClient $c
    }
}

Describe 'The mock speaks SignalR' -Tag 'Integration' {
    BeforeAll {
        $server = Start-RapidMockServer -Protocol $hubProfile
    }
    AfterAll { $server | Stop-RapidMockServer }

    It 'serves negotiate with a connection token and WebSockets' {
        $n = Invoke-RestMethod -Method Post -Uri ($server.Url + '/negotiate?negotiateVersion=1')
        $n.negotiateVersion | Should -Be 1
        $n.connectionToken | Should -Not -BeNullOrEmpty
        $n.availableTransports.transport | Should -Contain 'WebSockets'
    }

    It 'answers the handshake, invocations by target, a Completion for an invoked query, and records split or joined across frames' {
        $n = Invoke-RestMethod -Method Post -Uri ($server.Url + '/negotiate?negotiateVersion=1')
        $ws = $server.Url -replace '^http', 'ws'
        $c = New-WsTestClient $ws -Query @{ id = $n.connectionToken; user_id = (New-TestId) }
        Send-WsText $c ('{"protocol":"json","version":1}' + $rs)
        $hs = @(Receive-HubRecord $c)
        $hs.Count | Should -Be 1
        @($hs[0].PSObject.Properties).Count | Should -Be 0

        # Two invocations in one frame, then one record across two frames.
        $one = '{"type":1,"target":"SendMessage","arguments":[{"messageId":"m1","sequenceId":1,"content":"a","agentId":"a1"}]}'
        $two = '{"type":1,"target":"SendMessage","arguments":[{"messageId":"m2","sequenceId":2,"content":"b","agentId":"a1"}]}'
        Send-WsText $c ($one + $rs + $two + $rs)
        $three = '{"type":1,"target":"SendMessage","arguments":[{"messageId":"m3","sequenceId":3,"content":"c","agentId":"a1"}]}' + $rs
        Send-WsFrame $c ([Text.Encoding]::UTF8.GetBytes($three.Substring(0, 30))) -NotEndOfMessage
        Send-WsFrame $c ([Text.Encoding]::UTF8.GetBytes($three.Substring(30)))
        $replies = @()
        while ($replies.Count -lt 3) { $replies += @(Receive-HubRecord $c | Where-Object { $_.type -eq 1 }) }
        $replies.target | Sort-Object -Unique | Should -Be 'ReceiveReply'
        $replies.arguments.messageId | Should -Be @('m1', 'm2', 'm3')

        Send-WsText $c ('{"type":1,"invocationId":"7","target":"GetAgentState","arguments":["a1"]}' + $rs)
        $completion = Receive-HubRecord $c | Where-Object type -eq 3
        $completion.invocationId | Should -Be '7'
        $completion.result.messageCount | Should -Be 3

        # A ping is ignored; a void invocation gets an empty Completion.
        Send-WsText $c ('{"type":6}' + $rs + '{"type":1,"invocationId":"8","target":"CancelMessage","arguments":["m1"]}' + $rs)
        $records = @(Receive-HubRecord $c) + @(Receive-HubRecord $c)
        ($records | Where-Object { $_.type -eq 3 }).invocationId | Should -Be '8'
        ($records | Where-Object { $_.type -eq 1 }).arguments.code | Should -Be 'unknown_message'
        Remove-WsTestClient $c
    }

    It 'a flood that never fills the queue says how SignalR serializes a connection''s invocations' {
        $big = Start-RapidMockServer -Protocol $hubProfile -QueueCapacity 100000
        try {
            $r = Invoke-RapidScenario QueueOverflow -Url $big.Url -MessageCount 200
            $r.Outcome | Should -Be 'Inconclusive'
            ($r.Violations | Where-Object Code -eq 'NotProvoked').Message | Should -BeLike '*MaximumParallelInvocationsPerClient*'
        }
        finally { $big | Stop-RapidMockServer }
    }

    It 'refuses a handshake for another protocol with an error record' {
        $ws = $server.Url -replace '^http', 'ws'
        $c = New-WsTestClient $ws -Query @{ user_id = (New-TestId) }
        Send-WsText $c ('{"protocol":"messagepack","version":1}' + $rs)
        (Receive-HubRecord $c).error | Should -BeLike '*messagepack*'
        Remove-WsTestClient $c
    }
}

Describe 'Every scenario through a profile on the mock' -Tag 'Integration' {
    BeforeAll {
        $servers = @{
            acme    = Start-RapidMockServer -Protocol $acme -StreamChunks 3 -QueueCapacity 50 -ResponseDelay 0.002
            signalr = Start-RapidMockServer -Protocol $hubProfile -StreamChunks 3 -QueueCapacity 50 -ResponseDelay 0.002
        }
    }
    AfterAll { $servers.Values | Stop-RapidMockServer }

    Context '<Name>' -ForEach @(@{ Name = 'acme' }, @{ Name = 'signalr' }) {
        It 'passes <Scenario>' -ForEach @(
            'Sequential', 'BurstIdempotency', 'QueueOverflow', 'AgentStateConsistency', 'WebSocketStability',
            'CrossAgentSync', 'MultiUser', 'Benchmark', 'Streaming', 'StreamCancel' | ForEach-Object { @{ Scenario = $_ } }
        ) {
            $server = $servers[$Name]
            # No -Protocol: the session's mock at this URL lends its profile.
            $r = Invoke-RapidScenario $Scenario -Url $server.Url
            $r.Outcome | Should -Be 'Passed' -Because ($r.Violations -join '; ')
        }
    }
}

Describe 'Test-RapidProtocol''s help examples run verbatim' -Tag 'Integration' {
    BeforeAll {
        $helpFile = Join-Path $PSScriptRoot '../../help/Test-RapidProtocol.md'
        $text = (Get-Content $helpFile -Raw) -replace "`r`n", "`n"
        $examples = [regex]::Matches($text, '(?m)^### (Example \d+)[^\n]*\n```powershell\n([\s\S]*?)\n```') |
            ForEach-Object { @{ Name = $_.Groups[1].Value; Code = $_.Groups[2].Value } }
    }

    It 'has two examples' {
        $examples | Should -HaveCount 2
    }

    It '<Name> runs and shows what it says' -ForEach @(@{ Name = 'Example 1'; Index = 0 }, @{ Name = 'Example 2'; Index = 1 }) {
        $before = @(Get-RapidMockServer).Count
        $out = & ([scriptblock]::Create($examples[$Index].Code)) | Out-String -Width 200
        if ($Index -eq 0) {
            $out | Should -Match 'user_message\s+chat\.send\s+Mapped'
        }
        else {
            $out | Should -Match '(?m)^True'
            $out | Should -Match 'ai_response\s+Matched'
            @(Get-RapidMockServer).Count | Should -Be $before -Because 'the example stops the mock it started'
        }
    }
}

Describe 'What a run says about the profile' -Tag 'Integration' {
    BeforeAll {
        $server = Start-RapidMockServer -Protocol $acme
        # The same profile with one mistake: replies carry their id at payload.reply_to, not payload.ref.
        $wrongPath = Get-Content $acme -Raw | ConvertFrom-Json -AsHashtable
        $wrongPath.Messages.ai_response.Fields.message_id = 'payload.ref'
        # The backend has no agent state.
        $noState = Get-Content $acme -Raw | ConvertFrom-Json -AsHashtable
        $noState.Messages.Remove('get_agent_state')
        $noState.Unsupported = @('get_agent_state')
        # A backend that echoes no id: replies matched by order.
        $byOrder = Get-Content $acme -Raw | ConvertFrom-Json -AsHashtable
        $byOrder.Correlation = 'Order'
        $byOrder.Messages.ai_response.Fields.message_id = $null
        $byOrder.Messages.ai_response_chunk.Fields.message_id = $null
    }
    AfterAll { $server | Stop-RapidMockServer }

    It 'a path that finds nothing is a ProtocolMismatch naming the key, not lost messages' {
        $r = Invoke-RapidScenario Sequential -Url $server.Url -Protocol $wrongPath -MessageCount 30 -TimeoutSec 2
        $r.Outcome | Should -Be 'Inconclusive'
        @($r.Violations.Code | Select-Object -Unique) | Should -Be @('ProtocolMismatch')
        $r.Violations[0].Message | Should -BeLike "Messages.ai_response.Fields.message_id: path 'payload.ref' found nothing in 30 of 30 frames*"
        $r.Violations[0].Message | Should -BeLike '*"reply_to"*' -Because 'the first frame is shown'
        # The failure side: the right profile on the same server passes.
        (Invoke-RapidScenario Sequential -Url $server.Url -Protocol $acme -MessageCount 30).Outcome | Should -Be 'Passed'
    }

    It 'a scenario that needs an Unsupported message is Inconclusive, naming it, and sends nothing' {
        $r = Invoke-RapidScenario AgentStateConsistency -Url $server.Url -Protocol $noState
        $r.Outcome | Should -Be 'Inconclusive'
        $r.Violations.Code | Should -Be 'ProtocolUnsupported'
        $r.Violations[0].Message | Should -BeLike '*needs get_agent_state*'
        $r.Sent | Should -Be 0
        (Invoke-RapidScenario Sequential -Url $server.Url -Protocol $noState -MessageCount 20).Outcome | Should -Be 'Passed' -Because 'Sequential needs no agent state'
    }

    It 'by order, delivery is judged and the checks by id are Inconclusive, saying why' {
        $ordered = Start-RapidMockServer -Protocol $byOrder
        try {
            $r = Invoke-RapidScenario Sequential -Url $ordered.Url -MessageCount 100
            $r.Delivered | Should -Be 100
            $r.Outcome | Should -Be 'Inconclusive'
            $r.Violations.Code | Should -Be 'NeedsMessageIds'
            (Invoke-RapidScenario Benchmark -Url $ordered.Url -MessageCount 300).Outcome | Should -Be 'Passed' -Because 'Benchmark checks nothing by id'
        }
        finally { $ordered | Stop-RapidMockServer }
        $dropping = Start-RapidMockServer -Protocol $byOrder -Fault @{ DropReplies = 0.1; Seed = 2 }
        try {
            $r = Invoke-RapidScenario Sequential -Url $dropping.Url -MessageCount 100 -TimeoutSec 2
            $r.Outcome | Should -Be 'Failed'
            $r.Lost | Should -BeGreaterThan 0
            ($r.Violations | Where-Object Code -eq 'MissingReply').Message | Should -BeLike '*which ones is not known*'
        }
        finally { $dropping | Stop-RapidMockServer }
    }

    It 'the result names its profile' {
        (Invoke-RapidScenario Sequential -Url $server.Url -MessageCount 5).Protocol | Should -Be 'acme'
    }
}

Describe 'Events no profile maps' -Tag 'Integration' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Support/IndependentServer.ps1')
        $pythonProblem = Get-IndependentServerProblem
        $python = if (-not $pythonProblem) { Start-IndependentServer -Dialect acme }
    }
    AfterAll { Stop-IndependentServer -All }

    It 'are counted by wire type and never a violation; Ignore leaves them uncounted' {
        if ($pythonProblem) { Set-ItResult -Skipped -Because $pythonProblem; return }
        # The acme dialect sends sys.welcome on connect and sys.typing before each reply; acme.json ignores sys.typing.
        $r = Invoke-RapidScenario Sequential -Url $python.Url -Protocol $acme -MessageCount 20
        $r.Outcome | Should -Be 'Passed' -Because ($r.Violations -join '; ')
        $r.UnmappedFrames['sys.welcome'] | Should -Be 1
        $r.UnmappedFrames.ContainsKey('sys.typing') | Should -BeFalse
        $counted = Get-Content $acme -Raw | ConvertFrom-Json -AsHashtable
        $counted.Ignore = @()
        $r = Invoke-RapidScenario Sequential -Url $python.Url -Protocol $counted -MessageCount 20
        $r.Outcome | Should -Be 'Passed'
        $r.UnmappedFrames['sys.typing'] | Should -Be 20
    }
}

Describe 'The client against a scripted SignalR hub' -Tag 'Integration' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Support/IndependentServer.ps1')
        . (Join-Path $PSScriptRoot 'Support/ScriptedHub.ps1')
        $pythonProblem = Get-IndependentServerProblem
    }
    AfterAll { Stop-IndependentServer -All }

    It 'follows a negotiate redirect and brings the router''s token as access_token' {
        if ($pythonProblem) { Set-ItResult -Skipped -Because $pythonProblem; return }
        $hub = Start-ScriptedHub -Redirect
        $r = Invoke-RapidScenario Sequential -Url $hub.Url -Protocol $hubProfile -MessageCount 20
        $r.Outcome | Should -Be 'Passed' -Because ($r.Violations -join '; ')
        (Get-ScriptedHubStat $hub).access_tokens | Should -Contain 'routed-token'
    }

    It 'reads records joined in one frame and records split across frames; an unmapped invocation is counted' {
        if ($pythonProblem) { Set-ItResult -Skipped -Because $pythonProblem; return }
        $joined = Start-ScriptedHub -Join
        $r = Invoke-RapidScenario Sequential -Url $joined.Url -Protocol $hubProfile -MessageCount 30
        $r.Outcome | Should -Be 'Passed' -Because ($r.Violations -join '; ')
        $r.UnmappedFrames['Presence'] | Should -Be 30
        $split = Start-ScriptedHub -Split
        $r = Invoke-RapidScenario Sequential -Url $split.Url -Protocol $hubProfile -MessageCount 30
        $r.Outcome | Should -Be 'Passed' -Because ($r.Violations -join '; ')
        $r.MalformedFrames | Should -Be 0
    }

    It 'stops with a connection error quoting a refused handshake' {
        if ($pythonProblem) { Set-ItResult -Skipped -Because $pythonProblem; return }
        $hub = Start-ScriptedHub -HandshakeError
        $err = { Invoke-RapidScenario Sequential -Url $hub.Url -Protocol $hubProfile -MessageCount 5 } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ScenarioConnectFailed,*'
        $err.Exception.Message | Should -BeLike '*refused the SignalR handshake*not available on this scripted hub*'
    }

    It 'ends the connection on a Close record, with the hub''s error as the reason' {
        if ($pythonProblem) { Set-ItResult -Skipped -Because $pythonProblem; return }
        $hub = Start-ScriptedHub -CloseAfter 10
        $r = Invoke-RapidScenario Sequential -Url $hub.Url -Protocol $hubProfile -MessageCount 30 -TimeoutSec 2
        $r.Outcome | Should -Be 'Failed'
        @($r.Violations.Code) | Should -Contain 'UnexpectedClose'
        $r.CloseReasons | Should -BeLike '*Server shutting down for maintenance*'
    }

    It 'fails a query whose Completion carries an error with the hub''s text' {
        if ($pythonProblem) { Set-ItResult -Skipped -Because $pythonProblem; return }
        $hub = Start-ScriptedHub -CompletionError
        $r = Invoke-RapidScenario AgentStateConsistency -Url $hub.Url -Protocol $hubProfile -MessageCount 10 -TimeoutSec 3
        $r.Passed | Should -BeFalse
        ($r.Violations -join ' ') | Should -BeLike '*Agent store unavailable*'
        # The failure side: the same hub answering normally passes.
        $ok = Start-ScriptedHub
        (Invoke-RapidScenario AgentStateConsistency -Url $ok.Url -Protocol $hubProfile -MessageCount 10).Outcome | Should -Be 'Passed'
    }
}

Describe 'SignalR keep-alive' -Tag 'Integration', 'Slow' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Support/IndependentServer.ps1')
        . (Join-Path $PSScriptRoot 'Support/ScriptedHub.ps1')
        $pythonProblem = Get-IndependentServerProblem
    }
    AfterAll { Stop-IndependentServer -All }

    It 'sends a Ping record after 15 s without other sends' {
        if ($pythonProblem) { Set-ItResult -Skipped -Because $pythonProblem; return }
        $hub = Start-ScriptedHub
        # One connection, one message every 20 s: 20 s of silence between the two.
        $r = Invoke-RapidScenario Benchmark -Url $hub.Url -Protocol $hubProfile -Connections 1 -Rate 0.05 -Duration 40 -TimeoutSec 30 -WarningAction SilentlyContinue
        $r.Delivered | Should -Be 2
        (Get-ScriptedHubStat $hub).pings | Should -BeGreaterThan 0
    }
}

Describe 'A baseline of another profile' -Tag 'Integration' {
    It 'is not comparable, naming the profiles, and a baseline of the same profile is' {
        $builtIn = Start-RapidMockServer
        $acmeMock = Start-RapidMockServer -Protocol $acme
        try {
            $before = Invoke-RapidScenario Sequential -Url $builtIn.Url -MessageCount 50
            $after = Invoke-RapidScenario Sequential -Url $acmeMock.Url -MessageCount 50
            $after.Protocol | Should -Be 'acme'
            $null = $after | Compare-RapidResult -Baseline $before -ErrorVariable notComparable -ErrorAction SilentlyContinue
            $notComparable.FullyQualifiedErrorId | Should -BeLike 'BaselineNotComparable,*'
            "$notComparable" | Should -BeLike '*protocol profile*acme*'
            $same = Invoke-RapidScenario Sequential -Url $acmeMock.Url -MessageCount 50
            @($same | Compare-RapidResult -Baseline $after -ErrorAction Stop).Count | Should -BeGreaterThan 0
        }
        finally { $builtIn, $acmeMock | Stop-RapidMockServer }
    }
}
