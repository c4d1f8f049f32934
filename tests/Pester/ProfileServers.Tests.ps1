# The test backends that speak other wire shapes than the canonical protocol, held to what they claim:
# the ASP.NET Core SignalR hub (tests/Servers/SignalRHub, module/Examples/signalr-chat.json) as seen by
# Microsoft's own SignalR client (tests/Servers/SignalRClient), healthy and with each of its faults; the
# module's mock speaking signalr-chat.json (Start-RapidMockServer -Protocol), seen by the same client; and
# independent_server.py --dialect acme (module/Examples/acme.json's shape) as seen by a raw WebSocket client.
# The build's runner (tools/Invoke-ParallelPester.ps1) runs the hub's part and the others side by side; each waits
# out SignalR's timeouts (35 s and 29 s of silence), so apart they end in half the time:
# Shards: Part=Hub,Mock
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
param(
    # Hub: the SignalR hub's tests; Mock: the mock speaking signalr-chat.json and the acme server; all when empty.
    [string] $Part
)

BeforeDiscovery {
    # Each hub fault, what it takes to show, and what Microsoft's client then sees instead of the healthy run's
    # (replies 10, duplicatesSeen 1, unmarkedRepeats 0, outOfOrder 0, agentStateMessageCount 10, no chunk problems, 10 StateUpdated).
    $faultRows = @(
        @{ Fault = 'drop-replies=0.5'; Hub = @{}; Client = @{ TimeoutSec = 3 }; Sees = 'fewer replies than messages'
            Check = { param($r) $r.replies | Should -BeLessThan 10; $r.agentStateMessageCount | Should -Be 10 -Because 'the messages were processed, only their replies lost' } }
        @{ Fault = 'duplicate-replies'; Hub = @{}; Client = @{}; Sees = 'replies repeated without duplicate:true'
            Check = { param($r) $r.unmarkedRepeats | Should -BeGreaterThan 0; $r.replies | Should -Be 10 } }
        @{ Fault = 'reorder-replies'; Hub = @{ ResponseDelay = 0.05 }; Client = @{}; Sees = 'replies out of sequence order'
            Check = { param($r) $r.outOfOrder | Should -BeGreaterThan 0; $r.replies | Should -Be 10 } }
        @{ Fault = 'no-idempotency'; Hub = @{}; Client = @{}; Sees = 'the repeat answered as new and counted'
            Check = { param($r) $r.duplicatesSeen | Should -Be 0; $r.unmarkedRepeats | Should -Be 1; $r.agentStateMessageCount | Should -Be 11 } }
        @{ Fault = 'silent-overflow'; Hub = @{ QueueCapacity = 3; ResponseDelay = 0.2 }; Client = @{ TimeoutSec = 3 }; Sees = 'messages lost past capacity without queue_full'
            Check = { param($r) $r.queueFull | Should -Be 0; $r.replies | Should -Be 3 } }
        @{ Fault = 'stale-state'; Hub = @{}; Client = @{}; Sees = 'a messageCount behind the replies'
            Check = { param($r) $r.replies | Should -Be 10; $r.agentStateMessageCount | Should -BeLessThan 10 } }
        @{ Fault = 'drop-chunk'; Hub = @{ StreamChunks = 3; ChunkInterval = 0.01 }; Client = @{ ExpectChunks = 3 }; Sees = 'streams with a gap in their chunk indexes'
            Check = { param($r) @($r.chunkProblems).Count | Should -BeGreaterThan 0; $r.chunks | Should -BeLessThan 30 } }
        @{ Fault = 'no-state-update'; Hub = @{}; Client = @{ Observer = $true }; Sees = 'no StateUpdated on the user''s other connection'
            Check = { param($r) $r.stateUpdates | Should -Be 0; $r.replies | Should -Be 10 } }
    )

    # The mock speaking signalr-chat.json, with a -Fault: what Microsoft's client sees instead of the healthy run's.
    $mockFaultRows = @(
        @{ Fault = @{ DropReplies = 0.5; Seed = 1 }; Mock = @{}; Client = @{ TimeoutSec = 3 }; Sees = 'fewer replies than messages'
            Check = { param($r) $r.replies | Should -BeLessThan 10; $r.agentStateMessageCount | Should -Be 10 -Because 'the messages were processed, only their replies lost' } }
        @{ Fault = @{ DuplicateReplies = 1 }; Mock = @{}; Client = @{}; Sees = 'replies repeated without duplicate:true'
            Check = { param($r) $r.unmarkedRepeats | Should -BeGreaterThan 0; $r.replies | Should -Be 10 } }
        @{ Fault = @{ ProcessDuplicates = $true }; Mock = @{}; Client = @{}; Sees = 'the repeat answered as new and counted'
            Check = { param($r) $r.duplicatesSeen | Should -Be 0; $r.unmarkedRepeats | Should -Be 1; $r.agentStateMessageCount | Should -Be 11 } }
        @{ Fault = @{ NoStateUpdate = $true }; Mock = @{}; Client = @{ Observer = $true }; Sees = 'no StateUpdated on the user''s other connection'
            Check = { param($r) $r.stateUpdates | Should -Be 0; $r.replies | Should -Be 10 } }
        @{ Fault = @{ DropChunk = 0.5; Seed = 1 }; Mock = @{ StreamChunks = 3 }; Client = @{ ExpectChunks = 3 }; Sees = 'streams with a gap in their chunk indexes'
            Check = { param($r) @($r.chunkProblems).Count | Should -BeGreaterThan 0; $r.chunks | Should -BeLessThan 30 } }
    )
}

BeforeAll {
    # What Microsoft's client must see of any server speaking signalr-chat.json: 10 replies in order, the repeat
    # replayed and marked, the agent state that counts them ...
    function Assert-ServedInOrder($r) {
        $r.ok | Should -BeTrue -Because (Format-Problem $r)
        $r.ExitCode | Should -Be 0
        $r.transport | Should -Be 'WebSockets'
        $r.replies | Should -Be 10
        $r.duplicatesSeen | Should -Be 1
        $r.repeatMarkedDuplicate | Should -BeTrue
        $r.unmarkedRepeats | Should -Be 0
        $r.outOfOrder | Should -Be 0
        $r.agentStateMessageCount | Should -Be 10
        $r.agentState.userId | Should -Be $r.user
        $r.agentState.lastSequenceId | Should -Be 10
        $r.agentState.corrupted | Should -BeFalse
    }

    # ... and the user's other connection told, another user told nothing, a cancel of an unknown id answered.
    function Assert-StateShared($r) {
        $r.ping | Should -Be 'pong'
        $r.stateUpdates | Should -Be 10 -Because 'the user''s other connection hears of every processed message'
        $r.stateUpdatesToSender | Should -Be 0
        $r.otherUserFrames | Should -Be 0 -Because 'users never see each other''s frames'
        $r.cancelUnknownAnswered | Should -BeTrue -Because 'cancelling an unknown message gets unknown_message'
    }

    # Five streamed replies of 3 chunks seen whole, the one cancelled ended with cancelled (hub and mock alike).
    function Assert-StreamedAndCancelled($r) {
        $r.ok | Should -BeTrue -Because (Format-Problem $r)
        $r.chunks | Should -BeGreaterOrEqual 16 -Because '5 streams of 3 chunks, and at least one chunk of the cancelled one'
        @($r.chunkProblems) | Should -BeNullOrEmpty
        $r.cancelFinalCancelled | Should -BeTrue
        $r.cancelUnknownAnswered | Should -BeTrue
    }

    # Ten messages into a queue of 3 that answers in 0.2 s: 7 rejected with queue_full at once, 3 answered and counted.
    function Assert-RejectedPastCapacity($r) {
        $r.queueFull | Should -Be 7
        $r.replies | Should -Be 3
        $r.agentStateMessageCount | Should -Be 3
        $r.queueState.maxCapacity | Should -Be 3
        @($r.problems) | Should -Be @('7 messages were rejected with queue_full') -Because 'rejections are the only thing the client reports'
    }

    . (Join-Path $PSScriptRoot 'Support/SignalRHub.ps1')
    . (Join-Path $PSScriptRoot 'Support/IndependentServer.ps1')
    . (Join-Path $PSScriptRoot 'Support/WsTestClient.ps1')
    $script:hubProblem = Get-SignalRHubProblem
    $script:pythonProblem = Get-IndependentServerProblem
    $script:n = 0
    function Get-UniqueId([string] $prefix) { $script:n++; "$prefix-$PID-$($script:n)" }
    # What a problem list says, for -Because.
    function Format-Problem($r) { "problems: " + (@($r.problems) -join '; ') + " stderr: $($r.StdErr)" }
}

if (-not $Part -or $Part -eq 'Hub') {
    Describe 'The SignalR hub, seen by Microsoft''s SignalR client' -Tag 'Integration' {
        BeforeAll {
            if (-not $hubProblem) {
                $healthy = Start-SignalRHub -ResponseDelay 0.01
                $streaming = Start-SignalRHub -StreamChunks 3 -ChunkInterval 0.05
                # 0.2 s per message: the ten messages are all in before the first leaves the queue.
                $small = Start-SignalRHub -QueueCapacity 3 -ResponseDelay 0.2
                $pinging = Start-SignalRHub -KeepAlive 0.5
            }
        }
        BeforeEach {
            if ($hubProblem) { Set-ItResult -Skipped -Because $hubProblem }
        }
        AfterAll {
            Stop-SignalRHub -All
        }

        It 'serves /health' {
            if ($hubProblem) { return }
            $health = Invoke-RestMethod $healthy.HealthUrl
            $health.status | Should -Be 'ok'
            $health.connections | Should -BeOfType [long]
            $health.uptime_s | Should -BeGreaterThan 0
        }

        It 'answers every message in order, replays a repeat marked duplicate, counts it once, and answers state, queue and ping' {
            if ($hubProblem) { return }
            $r = Invoke-SignalRClient $healthy.Url -MessageCount 10 -Observer -OtherUser -Cancel
            Assert-ServedInOrder $r
            $r.agentState.memoryRss | Should -BeGreaterThan 0
            $r.queueState.maxCapacity | Should -Be 500
            $r.queueState.queueSize | Should -Be 0
            $r.queueState.processedTotal | Should -Be 10
            Assert-StateShared $r
        }

        It 'works without negotiation too (WebSockets straight to the hub URL)' {
            if ($hubProblem) { return }
            $r = Invoke-SignalRClient $healthy.Url -MessageCount 5 -SkipNegotiation
            $r.ok | Should -BeTrue -Because (Format-Problem $r)
        }

        It 'takes the user from the sub of a JWT (access_token), not from user_id' {
            if ($hubProblem) { return }
            $b64 = { param($s) [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($s)).TrimEnd('=').Replace('+', '-').Replace('/', '_') }
            $subject = Get-UniqueId 'jwt-user'
            $token = (& $b64 '{"alg":"HS256","typ":"JWT"}') + '.' + (& $b64 "{`"sub`":`"$subject`"}") + '.c2ln'
            $r = Invoke-SignalRClient $healthy.Url -MessageCount 3 -Token $token
            $r.ok | Should -BeTrue -Because (Format-Problem $r)
            $r.agentState.userId | Should -Be $subject
        }

        It 'streams each reply in chunks joined by its final, and cancel ends a stream with cancelled' {
            if ($hubProblem) { return }
            $r = Invoke-SignalRClient $streaming.Url -MessageCount 5 -ExpectChunks 3 -Cancel -Observer
            Assert-StreamedAndCancelled $r
        }

        It 'rejects past capacity with queue_full at once, and counts only what it accepted' {
            if ($hubProblem) { return }
            $r = Invoke-SignalRClient $small.Url -MessageCount 10 -TimeoutSec 5
            Assert-RejectedPastCapacity $r
            $r.queueState.rejectedTotal | Should -Be 7
        }

        It 'keeps an idle client past its ServerTimeout with its pings, and an idle client without them is dropped' {
            if ($hubProblem) { return }
            $kept = Invoke-SignalRClient $pinging.Url -MessageCount 2 -IdleSec 3 -ServerTimeoutSec 1.5 -KeepAliveSec 0.5
            $kept.stayedConnected | Should -BeTrue -Because (Format-Problem $kept)
            $kept.ok | Should -BeTrue
            # The healthy hub pings every 15 s: a client that expects one every 1.5 s gives up.
            $dropped = Invoke-SignalRClient $healthy.Url -MessageCount 2 -IdleSec 3 -ServerTimeoutSec 1.5 -KeepAliveSec 0.5
            $dropped.stayedConnected | Should -BeFalse
            $dropped.ok | Should -BeFalse
        }

        It 'keeps Microsoft''s client connected through 35 s of silence with the default timeouts (pings both ways)' -Tag 'Slow' {
            if ($hubProblem) { return }
            $r = Invoke-SignalRClient $healthy.Url -MessageCount 2 -IdleSec 35
            $r.stayedConnected | Should -BeTrue -Because (Format-Problem $r)
            $r.ok | Should -BeTrue
        }
    }

    Describe 'Each hub fault changes what Microsoft''s client sees: <Fault> -> <Sees>' -Tag 'Integration' -ForEach $faultRows {
        BeforeAll {
            if (-not $hubProblem) {
                $options = $Hub.Clone()
                $hub = Start-SignalRHub -Fault $Fault @options
            }
        }
        AfterAll {
            if ($hub) { Stop-SignalRHub $hub }
        }

        It 'shows <Sees>, and the client reports a problem' {
            if ($hubProblem) { Set-ItResult -Skipped -Because $hubProblem; return }
            $arguments = $Client.Clone()
            $r = Invoke-SignalRClient $hub.Url -MessageCount 10 @arguments
            & $Check $r
            $r.ok | Should -BeFalse
            $r.ExitCode | Should -Be 1
            @($r.problems).Count | Should -BeGreaterThan 0
        }
    }
}

if (-not $Part -or $Part -eq 'Mock') {
    Describe 'The mock speaking signalr-chat.json, seen by Microsoft''s SignalR client' -Tag 'Integration' {
        BeforeAll {
            # Microsoft's client is built and run by the hub's helpers, and needs the same .NET 10.
            if (-not $hubProblem) {
                Import-Module RapidMessageTools -Force
                $signalR = Join-Path (Get-Module RapidMessageTools).ModuleBase 'Examples/signalr-chat.json'
                $mock = Start-RapidMockServer -Protocol $signalR -ResponseDelay 0.01
                # 0.1 s between chunks: the client's cancel (sent when the first chunk comes) reaches the stream before it ends, on a busy machine too.
                $mockStreaming = Start-RapidMockServer -Protocol $signalR -StreamChunks 3 -ChunkInterval 0.1
                # 0.2 s per message: the ten messages are all in before the first leaves the queue.
                $mockSmall = Start-RapidMockServer -Protocol $signalR -QueueCapacity 3 -ResponseDelay 0.2
            }
        }
        BeforeEach {
            if ($hubProblem) { Set-ItResult -Skipped -Because $hubProblem }
        }
        AfterAll {
            foreach ($m in @($mock, $mockStreaming, $mockSmall)) { if ($m) { $m | Stop-RapidMockServer } }
        }

        It 'serves the hub at its Url (negotiate beside it)' {
            if ($hubProblem) { return }
            $mock.Url | Should -Match '^http://127\.0\.0\.1:\d+/hub$'
            $negotiate = Invoke-RestMethod -Method Post "$($mock.Url)/negotiate?negotiateVersion=1"
            $negotiate.connectionToken | Should -Not -BeNullOrEmpty
            $negotiate.availableTransports.transport | Should -Contain 'WebSockets'
        }

        It 'answers every message in order, replays a repeat marked duplicate, counts it once, and answers state, queue and ping' {
            if ($hubProblem) { return }
            $r = Invoke-SignalRClient $mock.Url -MessageCount 10 -Observer -OtherUser -Cancel
            Assert-ServedInOrder $r
            $r.queueState.maxCapacity | Should -BeGreaterThan 0
            $r.queueState.queueSize | Should -Be 0
            Assert-StateShared $r
            @($r.errors) | Should -Be @('unknown_message') -Because 'the only error is the answer to the cancel of a message never sent'
        }

        It 'works without negotiation too (WebSockets straight to the hub URL)' {
            if ($hubProblem) { return }
            $r = Invoke-SignalRClient $mock.Url -MessageCount 5 -SkipNegotiation
            $r.ok | Should -BeTrue -Because (Format-Problem $r)
            $r.replies | Should -Be 5
        }

        It 'streams each reply in chunks joined by its final, and cancel ends a stream with cancelled' {
            if ($hubProblem) { return }
            $r = Invoke-SignalRClient $mockStreaming.Url -MessageCount 5 -ExpectChunks 3 -Cancel -Observer
            Assert-StreamedAndCancelled $r
            $r.replies | Should -Be 5
            $r.chunks | Should -BeLessOrEqual 17 -Because 'the cancelled stream stops before its last chunk'
        }

        It 'rejects past capacity with queue_full at once, and counts only what it accepted' {
            if ($hubProblem) { return }
            $r = Invoke-SignalRClient $mockSmall.Url -MessageCount 10 -TimeoutSec 5
            Assert-RejectedPastCapacity $r
        }

        It 'keeps an idle client past a ServerTimeout longer than its 15 s pings; one shorter than them drops it' -Tag 'Slow' {
            if ($hubProblem) { return }
            # The mock sends a Ping record every 15 s and nothing else to an idle connection. A client that hears nothing
            # for 20 s gives up: idle 25 s, it stays only if a ping came.
            $kept = Invoke-SignalRClient $mock.Url -MessageCount 2 -IdleSec 25 -ServerTimeoutSec 20 -KeepAliveSec 5
            $kept.stayedConnected | Should -BeTrue -Because (Format-Problem $kept)
            $kept.ok | Should -BeTrue
            # The control: the same client expecting something every 1.5 s is dropped, so its ServerTimeout does bite.
            $dropped = Invoke-SignalRClient $mock.Url -MessageCount 2 -IdleSec 3 -ServerTimeoutSec 1.5 -KeepAliveSec 0.5
            $dropped.stayedConnected | Should -BeFalse
            $dropped.ok | Should -BeFalse
        }
    }

    Describe 'A mock fault speaking signalr-chat.json changes what Microsoft''s client sees: <Sees>' -Tag 'Integration' -ForEach $mockFaultRows {
        BeforeAll {
            if (-not $hubProblem) {
                Import-Module RapidMessageTools -Force
                $signalR = Join-Path (Get-Module RapidMessageTools).ModuleBase 'Examples/signalr-chat.json'
                $options = $Mock.Clone()
                $faulty = Start-RapidMockServer -Protocol $signalR -Fault $Fault -ResponseDelay 0.01 @options
            }
        }
        AfterAll {
            if ($faulty) { $faulty | Stop-RapidMockServer }
        }

        It 'shows <Sees>, and the client reports a problem' {
            if ($hubProblem) { Set-ItResult -Skipped -Because $hubProblem; return }
            $arguments = $Client.Clone()
            $r = Invoke-SignalRClient $faulty.Url -MessageCount 10 @arguments
            & $Check $r
            $r.ok | Should -BeFalse
            $r.ExitCode | Should -Be 1
            @($r.problems).Count | Should -BeGreaterThan 0
        }
    }

    Describe 'independent_server.py --dialect acme speaks acme''s wire shape' -Tag 'Integration' {
        BeforeAll {
            if (-not $pythonProblem) {
                $acme = Start-IndependentServer -Dialect acme -QueueCapacity 2 -ResponseDelay 0.2
                $acmeStreaming = Start-IndependentServer -Dialect acme -StreamChunks 3 -ChunkInterval 0.1
                $acmeDropping = Start-IndependentServer -Dialect acme -Fault 'drop-nth=2'
                $canonical = Start-IndependentServer
            }
            # The frames of a connection up to the one -Until matches (bounded), skipping sys.typing when asked.
            function Receive-Acme($client, [int] $count = 1, [scriptblock] $until, [switch] $skipTyping) {
                $frames = @(Receive-WsJson $client -Count ($count * 3) -TimeoutSec 5 -Until $until)
                if ($skipTyping) { $frames = @($frames | Where-Object op -ne 'sys.typing') }
                $frames
            }
        }
        BeforeEach {
            if ($pythonProblem) { Set-ItResult -Skipped -Because $pythonProblem }
        }
        AfterAll {
            Clear-WsTestClient
            Stop-IndependentServer -All
        }

        It 'welcomes a connection with sys.welcome, sends sys.typing before chat.reply, and replies with payload.reply_to' {
            if ($pythonProblem) { return }
            $user = Get-UniqueId 'acme'
            $c = New-WsTestClient $acme.Url -Query @{ user_id = $user }
            $welcome = Receive-WsJson $c
            $welcome.op | Should -Be 'sys.welcome'
            $welcome.payload.user | Should -Be $user
            Send-WsJson $c @{ op = 'chat.send'; payload = @{ id = 'm1'; seq = 1; text = 'hello'; agent = 'a' } }
            $frames = @(Receive-WsJson $c -Count 2 -TimeoutSec 5)
            $frames.op | Should -Be @('sys.typing', 'chat.reply')
            $frames[0].payload.agent | Should -Be 'a'
            $reply = $frames[1]
            $reply.payload.reply_to | Should -Be 'm1'
            $reply.payload.seq | Should -Be 1
            $reply.payload.agent | Should -Be 'a'
            $reply.payload.text | Should -Be 'AI response to: hello'
            $reply.payload.ts | Should -BeGreaterThan 0
            $reply.PSObject.Properties.Name | Should -Not -Contain 'type' -Because 'acme has no "type" field'

            Send-WsJson $c @{ op = 'chat.send'; payload = @{ id = 'm1'; seq = 1; text = 'hello'; agent = 'a' } }
            $replay = Receive-WsJson $c
            $replay.op | Should -Be 'chat.reply'
            $replay.payload.replayed | Should -BeTrue

            Send-WsJson $c @{ op = 'agent.get'; rid = 'r1'; payload = @{ agent = 'a' } }
            $state = Receive-WsJson $c
            $state.op | Should -Be 'agent.state'
            $state.rid | Should -Be 'r1'
            $state.payload.user | Should -Be $user
            $state.payload.stats.count | Should -Be 1 -Because 'the replay is not counted'
            $state.payload.stats.last_id | Should -Be 'm1'
            $state.payload.stats.last_seq | Should -Be 1
            $state.payload.corrupt | Should -BeFalse
            $state.payload.memory.rss | Should -BeGreaterThan 0

            Send-WsJson $c @{ op = 'queue.get'; rid = 'r2'; payload = @{ agent = 'a' } }
            $queue = Receive-WsJson $c
            $queue.op | Should -Be 'queue.state'
            $queue.rid | Should -Be 'r2'
            $queue.payload.capacity | Should -Be 2
            $queue.payload.processed | Should -Be 1

            Send-WsJson $c @{ op = 'sys.ping'; rid = 'r3' }
            $pong = Receive-WsJson $c
            $pong.op | Should -Be 'sys.pong'
            $pong.rid | Should -Be 'r3'
        }

        It 'answers a full queue with op fault and error.code overloaded, at once' {
            if ($pythonProblem) { return }
            $c = New-WsTestClient $acme.Url -Query @{ user_id = (Get-UniqueId 'acme-full') }
            $null = Receive-WsJson $c
            foreach ($i in 1..5) { Send-WsJson $c @{ op = 'chat.send'; payload = @{ id = "f$i"; seq = $i; text = "t$i"; agent = 'a' } } }
            $frames = @(Receive-WsJson $c -Count 7 -TimeoutSec 10 | Where-Object op -ne 'sys.typing')
            $faults = @($frames | Where-Object op -eq 'fault')
            $faults | Should -HaveCount 3
            $faults.error.code | Should -Be @('overloaded', 'overloaded', 'overloaded')
            $faults.error.ref | Should -Be @('f3', 'f4', 'f5')
            $faults[0].error.capacity | Should -Be 2
            $faults[0].error.depth | Should -Be 2
            $faults[0].error.retry_ms | Should -BeGreaterThan 0
            @($frames | Where-Object op -eq 'chat.reply').payload.reply_to | Should -Be @('f1', 'f2')
        }

        It 'answers bad input with its own error codes and keeps the connection' {
            if ($pythonProblem) { return }
            $c = New-WsTestClient $acme.Url -Query @{ user_id = (Get-UniqueId 'acme-bad') }
            $null = Receive-WsJson $c
            Send-WsText $c '{not json'
            (Receive-WsJson $c).error.code | Should -Be 'bad_json'
            Send-WsJson $c @{ op = 'teleport'; rid = 'x1' }
            $unsupported = Receive-WsJson $c
            $unsupported.op | Should -Be 'fault'
            $unsupported.error.code | Should -Be 'unsupported_op'
            $unsupported.rid | Should -Be 'x1'
            Send-WsJson $c @{ op = 'chat.send'; payload = @{ id = 'x' } }
            $bad = Receive-WsJson $c
            $bad.error.code | Should -Be 'bad_request'
            $bad.error.ref | Should -Be 'x'
            Send-WsJson $c @{ type = 'user_message'; message_id = 'canonical'; sequence_id = 1; content = 'x' }
            (Receive-WsJson $c).error.code | Should -Be 'bad_request' -Because 'a canonical frame has no "op": it is not acme'
            Send-WsJson $c @{ op = 'chat.cancel'; payload = @{ id = 'nothing' } }
            $unknown = Receive-WsJson $c
            $unknown.error.code | Should -Be 'no_such_message'
            $unknown.error.ref | Should -Be 'nothing'
        }

        It 'streams chat.part frames and stops a stream on chat.cancel (payload.stopped)' {
            if ($pythonProblem) { return }
            $c = New-WsTestClient $acmeStreaming.Url -Query @{ user_id = (Get-UniqueId 'acme-stream') }
            $null = Receive-WsJson $c
            Send-WsJson $c @{ op = 'chat.send'; payload = @{ id = 's1'; seq = 1; text = 'streamed reply' } }
            $frames = @(Receive-WsJson $c -Count 5 -TimeoutSec 5 -Until { $_.op -eq 'chat.reply' } | Where-Object op -ne 'sys.typing')
            $parts = @($frames | Where-Object op -eq 'chat.part')
            $parts.payload.index | Should -Be @(0, 1, 2)
            $parts.payload.reply_to | Should -Be @('s1', 's1', 's1')
            $final = $frames[-1]
            $final.op | Should -Be 'chat.reply'
            $final.payload.parts | Should -Be 3
            $final.payload.text | Should -Be (-join $parts.payload.text)

            Send-WsJson $c @{ op = 'chat.send'; payload = @{ id = 's2'; seq = 2; text = 'to be stopped' } }
            $null = Receive-WsJson $c -Count 3 -TimeoutSec 5 -Until { $_.op -eq 'chat.part' }
            Send-WsJson $c @{ op = 'chat.cancel'; payload = @{ id = 's2' } }
            $end = Receive-WsJson $c -Count 5 -TimeoutSec 5 -Until { $_.op -eq 'chat.reply' } | Select-Object -Last 1
            $end.op | Should -Be 'chat.reply'
            $end.payload.stopped | Should -BeTrue
            $end.payload.parts | Should -BeLessThan 3
        }

        It 'keeps its faults in the dialect (drop-nth=2: the second message is never answered)' {
            if ($pythonProblem) { return }
            $c = New-WsTestClient $acmeDropping.Url -Query @{ user_id = (Get-UniqueId 'acme-drop') }
            $null = Receive-WsJson $c
            foreach ($i in 1..3) { Send-WsJson $c @{ op = 'chat.send'; payload = @{ id = "d$i"; seq = $i; text = "t$i" } } }
            $replies = @(Receive-WsJson $c -Count 6 -TimeoutSec 3 | Where-Object op -eq 'chat.reply')
            $replies.payload.reply_to | Should -Be @('d1', 'd3')
        }

        It 'leaves the default (canonical) server as it was: no welcome, no typing, "type" frames' {
            if ($pythonProblem) { return }
            $c = New-WsTestClient $canonical.Url -Query @{ user_id = (Get-UniqueId 'canonical') }
            Receive-WsFrame $c -TimeoutSec 0.5 | Should -BeNullOrEmpty -Because 'the canonical server says nothing first'
            Send-WsUserMessage $c -MessageId 'c1' -SequenceId 1 -Content 'hi'
            $reply = Receive-WsJson $c
            $reply.type | Should -Be 'ai_response'
            $reply.message_id | Should -Be 'c1'
            Send-WsJson $c @{ type = 'chat.send'; payload = @{ id = 'x' } }
            (Receive-WsJson $c).code | Should -Be 'unknown_type'
        }
    }
}
