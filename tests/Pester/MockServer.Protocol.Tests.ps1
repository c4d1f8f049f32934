# The mock's wire protocol (docs/PROTOCOL.md): replies and their fields, duplicates, agent and queue state,
# ping, state_update, /health, /auth/test-user, queue overflow, authentication, response delay and the
# idempotency memory bound.
# Every server is on port 0, loopback, and stopped in AfterAll; every network wait has a timeout
# (Support/WsTestClient.ps1).
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
param()

# The module, fresh, and the WebSocket test client with the checks these files share.
BeforeAll { . (Join-Path $PSScriptRoot 'Support/MockServerChecks.ps1') }
AfterAll { Clear-WsTestClient }

Describe 'Wire protocol' -Tag 'Integration' {
    BeforeAll {
        $server = Start-RapidMockServer
    }
    AfterAll {
        $server | Stop-RapidMockServer
    }

    It 'answers a user_message with an ai_response carrying its fields' {
        $c = New-WsTestClient $server.Url -Query @{ user_id = (New-TestId) }
        $t0 = Get-UnixNow
        Send-WsUserMessage $c -MessageId 'm-1' -SequenceId 7 -Content 'hello there' -AgentId 'agent-x'
        $r = @(Receive-WsJson $c -TimeoutSec 3)
        $r.Count | Should -Be 1
        $r[0].type | Should -Be 'ai_response'
        $r[0].message_id | Should -Be 'm-1'
        $r[0].sequence_id | Should -Be 7
        $r[0].agent_id | Should -Be 'agent-x'
        $r[0].content | Should -Be 'AI response to: hello there'
        $r[0].timestamp | Should -BeGreaterOrEqual ($t0 - 1)
        $r[0].timestamp | Should -BeLessOrEqual ((Get-UnixNow) + 1)
        $r[0].PSObject.Properties.Name | Should -Not -Contain 'duplicate'
    }

    It 'uses agent "default" when agent_id is absent, and keeps non-ASCII content intact' {
        $c = New-WsTestClient $server.Url -Query @{ user_id = (New-TestId) }
        Send-WsUserMessage $c -MessageId 'm-1' -SequenceId 1 -Content 'grüße "quoted" 日本 🚀'
        $r = @(Receive-WsJson $c -TimeoutSec 3)
        $r[0].agent_id | Should -Be 'default'
        $r[0].content | Should -Be 'AI response to: grüße "quoted" 日本 🚀'
    }

    It 'answers 200 pipelined messages on one connection in FIFO order' {
        $c = New-WsTestClient $server.Url -Query @{ user_id = (New-TestId) }
        foreach ($i in 1..200) { Send-WsUserMessage $c -MessageId "fifo-$i" -SequenceId $i }
        $r = @(Receive-WsJson $c -Count 200 -TimeoutSec 10)
        $r.Count | Should -Be 200
        ($r.type | Sort-Object -Unique) | Should -Be 'ai_response'
        $r.sequence_id | Should -Be (1..200)
        $r.message_id | Should -Be (1..200 | ForEach-Object { "fifo-$_" })
        $state = Get-StateFrame $c
        $state.message_count | Should -Be 200
    }

    It 'replays a repeated message_id with duplicate=true and does not count it again' {
        $c = New-WsTestClient $server.Url -Query @{ user_id = (New-TestId) }
        Send-WsUserMessage $c -MessageId 'dup-1' -SequenceId 1 -Content 'once'
        $first = @(Receive-WsJson $c -TimeoutSec 3)
        Send-WsUserMessage $c -MessageId 'dup-1' -SequenceId 1 -Content 'once'
        $second = @(Receive-WsJson $c -TimeoutSec 3)
        $second.Count | Should -Be 1
        $second[0].type | Should -Be 'ai_response'
        $second[0].message_id | Should -Be 'dup-1'
        $second[0].duplicate | Should -BeTrue
        $second[0].content | Should -Be $first[0].content
        $second[0].timestamp | Should -Be $first[0].timestamp
        $first[0].PSObject.Properties.Name | Should -Not -Contain 'duplicate'
        (Get-StateFrame $c).message_count | Should -Be 1
    }

    It 'reports real agent_state values' {
        $user = New-TestId
        $c = New-WsTestClient $server.Url -Query @{ user_id = $user }
        foreach ($i in 1..3) { Send-WsUserMessage $c -MessageId "st-$i" -SequenceId (10 + $i) -Content "text $i" -AgentId 'a1' }
        @(Receive-WsJson $c -Count 3 -TimeoutSec 3).Count | Should -Be 3
        $s = Get-StateFrame $c -AgentId 'a1'
        $s.user_id | Should -Be $user
        $s.agent_id | Should -Be 'a1'
        $s.message_count | Should -Be 3
        $s.last_sequence_id | Should -Be 13
        $s.last_message_id | Should -Be 'st-3'
        $s.corrupted | Should -BeFalse
        $s.conversation_context.turns | Should -Be 3
        $s.conversation_context.last_content | Should -Be 'text 3'
        $s.memory_usage.rss | Should -BeGreaterThan 0
        $s.timestamp | Should -BeGreaterThan 0

        $other = Get-StateFrame $c -AgentId 'never-used'
        $other.message_count | Should -Be 0
        $other.last_message_id | Should -BeNullOrEmpty
    }

    It 'reports queue_state fields' {
        $c = New-WsTestClient $server.Url -Query @{ user_id = (New-TestId) }
        foreach ($i in 1..4) { Send-WsUserMessage $c -MessageId "q-$i" -SequenceId $i }
        @(Receive-WsJson $c -Count 4 -TimeoutSec 3).Count | Should -Be 4
        $q = Get-StateFrame $c -Query 'get_queue_state' -Type 'queue_state'
        $q.queue_size | Should -Be 0
        $q.max_capacity | Should -Be 500
        $q.processed_total | Should -Be 4
        $q.rejected_total | Should -Be 0
        $q.timestamp | Should -BeGreaterThan 0
    }

    It 'answers ping with pong' {
        $c = New-WsTestClient $server.Url
        Send-WsJson $c @{ type = 'ping'; request_id = 'p1' }
        $r = @(Receive-WsJson $c -TimeoutSec 3)
        $r[0].type | Should -Be 'pong'
        $r[0].request_id | Should -Be 'p1'
    }

    It 'sends state_update to the same user''s other connection, not to the sender' {
        $user = New-TestId
        $from = New-WsTestClient $server.Url -Query @{ user_id = $user }
        $other = New-WsTestClient $server.Url -Query @{ user_id = $user }
        Wait-Condition { $server.Stats.ConnectionsOpen -ge 2 } | Should -BeTrue
        Send-WsUserMessage $from -MessageId 'su-1' -SequenceId 1 -AgentId 'a1'
        $update = @(Receive-WsJson $other -TimeoutSec 3)
        $update.Count | Should -Be 1
        $update[0].type | Should -Be 'state_update'
        $update[0].user_id | Should -Be $user
        $update[0].agent_id | Should -Be 'a1'
        $update[0].message_count | Should -Be 1
        $update[0].last_message_id | Should -Be 'su-1'
        $mine = @(Receive-WsJson $from -Count 5 -TimeoutSec 0.5)
        $mine.type | Should -Be @('ai_response')
    }

    It 'keeps two users apart' {
        $a = New-WsTestClient $server.Url -Query @{ user_id = (New-TestId 'a') }
        $bUser = New-TestId 'b'
        $b = New-WsTestClient $server.Url -Query @{ user_id = $bUser }
        foreach ($i in 1..3) { Send-WsUserMessage $a -MessageId "iso-$i" -SequenceId $i }
        @(Receive-WsJson $a -Count 3 -TimeoutSec 3).Count | Should -Be 3
        @(Receive-WsJson $b -Count 1 -TimeoutSec 0.3).Count | Should -Be 0
        $s = Get-StateFrame $b
        $s.user_id | Should -Be $bUser
        $s.message_count | Should -Be 0
        # The same message_id from another user is new work, not a duplicate.
        Send-WsUserMessage $b -MessageId 'iso-1' -SequenceId 1
        $r = @(Receive-WsJson $b -TimeoutSec 3)
        $r[0].PSObject.Properties.Name | Should -Not -Contain 'duplicate'
    }

    It 'serves /health as JSON' {
        $c = New-WsTestClient $server.Url
        Wait-Condition { $server.Stats.ConnectionsOpen -ge 1 } | Should -BeTrue
        $h = Invoke-RestMethod -Uri $server.HealthUrl -TimeoutSec 5
        $h.status | Should -Be 'ok'
        $h.uptime_s | Should -BeGreaterThan 0
        $h.connections | Should -Be $server.Stats.ConnectionsOpen
        $null = Close-WsTestClient $c
    }

    It 'issues a test user from POST /auth/test-user' {
        $t = Invoke-RestMethod -Method Post -Uri $server.AuthUrl -Body '{"email":"qa@example.com"}' -ContentType 'application/json' -TimeoutSec 5
        $t.user_id | Should -Not -BeNullOrEmpty
        $t.email | Should -Be 'qa@example.com'
        ($t.token -split '\.').Count | Should -Be 3
        ([DateTimeOffset]$t.expires_at) | Should -BeGreaterThan ([DateTimeOffset]::UtcNow)
        $anon = Invoke-RestMethod -Method Post -Uri $server.AuthUrl -TimeoutSec 5
        $anon.user_id | Should -Not -Be $t.user_id
        $anon.email | Should -Not -BeNullOrEmpty
    }

    It 'refuses GET on /auth/test-user with 405, /ws without an upgrade with 426, and unknown paths with 404' {
        (Invoke-WebRequest -Uri $server.AuthUrl -SkipHttpErrorCheck -TimeoutSec 5).StatusCode | Should -Be 405
        (Invoke-WebRequest -Uri "$($server.BaseUrl)/ws" -SkipHttpErrorCheck -TimeoutSec 5).StatusCode | Should -Be 426
        (Invoke-WebRequest -Uri "$($server.BaseUrl)/nope" -SkipHttpErrorCheck -TimeoutSec 5).StatusCode | Should -Be 404
    }

    Context 'queue overflow' {
        BeforeAll {
            $small = Start-RapidMockServer -QueueCapacity 5 -ResponseDelay 0.2
        }
        AfterAll {
            $small | Stop-RapidMockServer
        }

        It 'answers or rejects every message of a burst past capacity, and recovers' {
            $c = New-WsTestClient $small.Url -Query @{ user_id = (New-TestId) }
            $ids = 1..20 | ForEach-Object { "of-$_" }
            foreach ($i in 1..20) { Send-WsUserMessage $c -MessageId "of-$i" -SequenceId $i -AgentId 'slow' }
            $frames = @(Receive-WsJson $c -Count 20 -TimeoutSec 8)
            $frames.Count | Should -Be 20
            $answered = @($frames | Where-Object type -EQ 'ai_response')
            $rejected = @($frames | Where-Object { $_.type -eq 'error' -and $_.code -eq 'queue_full' })
            ($answered.Count + $rejected.Count) | Should -Be 20
            $answered.Count | Should -BeGreaterOrEqual 5
            $rejected.Count | Should -BeGreaterThan 0
            @($answered.message_id) + @($rejected.message_id) | Sort-Object | Should -Be ($ids | Sort-Object)
            $answered.sequence_id | Should -Be ($answered.sequence_id | Sort-Object)
            foreach ($r in $rejected) {
                $r.queue_size | Should -Be 5
                $r.max_capacity | Should -Be 5
                $r.retry_after_ms | Should -BeGreaterThan 0
            }
            @(Receive-WsJson $c -Count 1 -TimeoutSec 0.3).Count | Should -Be 0

            $q = Get-StateFrame $c -Query 'get_queue_state' -Type 'queue_state'
            $q.rejected_total | Should -Be $rejected.Count
            $q.processed_total | Should -Be $answered.Count
            $q.queue_size | Should -Be 0

            Send-WsUserMessage $c -MessageId 'of-after' -SequenceId 21 -AgentId 'slow'
            $after = @(Receive-WsJson $c -TimeoutSec 3)
            $after[0].type | Should -Be 'ai_response'
            $after[0].message_id | Should -Be 'of-after'

            # A rejected message was not taken: retrying its id is new work, not a duplicate.
            $retryId = $rejected[0].message_id
            Send-WsUserMessage $c -MessageId $retryId -SequenceId 22 -AgentId 'slow'
            $retry = @(Receive-WsJson $c -TimeoutSec 3)
            $retry[0].type | Should -Be 'ai_response'
            $retry[0].message_id | Should -Be $retryId
            $retry[0].PSObject.Properties.Name | Should -Not -Contain 'duplicate'
        }
    }

    Context 'authentication' {
        BeforeAll {
            $auth = Start-RapidMockServer -RequireAuth
        }
        AfterAll {
            $auth | Stop-RapidMockServer
        }

        It 'refuses an upgrade without a token with 401' {
            Get-WsUpgradeStatus $auth.Url | Should -Be 401
            Get-WsUpgradeStatus $auth.Url -Query @{ user_id = 'someone' } | Should -Be 401
        }

        It 'refuses a bad token with 401' {
            Get-WsUpgradeStatus $auth.Url -Headers @{ Authorization = 'Bearer not-a-token' } | Should -Be 401
            $err = { New-WsTestClient $auth.Url -Query @{ token = 'x.y.z' } } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'WsUpgradeRefused*'
            $err.TargetObject | Should -Be 401
        }

        It 'accepts a fetched token as <Transport>, acting as the token''s user' -ForEach @(
            @{ Transport = 'Bearer header' }
            @{ Transport = '?token=' }
        ) {
            $t = Invoke-RestMethod -Method Post -Uri $auth.AuthUrl -TimeoutSec 5
            $c = if ($Transport -eq 'Bearer header') {
                New-WsTestClient $auth.Url -Headers @{ Authorization = "Bearer $($t.token)" } -Query @{ user_id = 'ignored' }
            }
            else {
                New-WsTestClient $auth.Url -Query @{ token = $t.token; user_id = 'ignored' }
            }
            [int]$c.Socket.HttpStatusCode | Should -Be 101
            Send-WsUserMessage $c -MessageId 'auth-1' -SequenceId 1
            (@(Receive-WsJson $c -TimeoutSec 3))[0].type | Should -Be 'ai_response'
            $s = Get-StateFrame $c
            $s.user_id | Should -Be $t.user_id
            $s.message_count | Should -Be 1
            $null = Close-WsTestClient $c
        }
    }

    Context 'response delay' {
        BeforeAll {
            $slow = Start-RapidMockServer -ResponseDelay 0.3
        }
        AfterAll {
            $slow | Stop-RapidMockServer
        }

        It 'does not serialize agents: 10 agents x 0.3 s answer in well under 3 s' {
            $c = New-WsTestClient $slow.Url -Query @{ user_id = (New-TestId) }
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            foreach ($i in 1..10) { Send-WsUserMessage $c -MessageId "par-$i" -SequenceId $i -AgentId "agent-$i" }
            $r = @(Receive-WsJson $c -Count 10 -TimeoutSec 5)
            $clock.Stop()
            $r.Count | Should -Be 10
            ($r.agent_id | Sort-Object -Unique).Count | Should -Be 10
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 1.5
            $clock.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 0.29
        }

        It 'answers a message that came while its agent was idle one full delay after it arrived, never sooner' {
            # The worker of an agent that just answered used to wait one delay before looking at its queue again,
            # and answered what had come meanwhile at the end of that wait: early. Latency is the only thing measured here.
            $c = New-WsTestClient $slow.Url -Query @{ user_id = (New-TestId) }
            $m = Measure-WsIdleAnswer $c -ReadAnswer { Receive-WsJson $c -Count 1 -TimeoutSec 5 }
            $m.Frame.message_id | Should -Be 'idle-2'
            $m.Seconds | Should -BeGreaterOrEqual 0.295 -Because 'a reply comes one ResponseDelay (0.3 s) after its message at the soonest'
        }

        It 'answers a message_id repeated while the original is queued once, then as a duplicate' {
            $c = New-WsTestClient $slow.Url -Query @{ user_id = (New-TestId) }
            Send-WsUserMessage $c -MessageId 'early-dup' -SequenceId 1
            Send-WsUserMessage $c -MessageId 'early-dup' -SequenceId 1
            $r = @(Receive-WsJson $c -Count 2 -TimeoutSec 3)
            $r.Count | Should -Be 2
            $r.message_id | Should -Be @('early-dup', 'early-dup')
            @($r | Where-Object { $_.PSObject.Properties['duplicate'] -and $_.duplicate }).Count | Should -Be 1
            (Get-StateFrame $c).message_count | Should -Be 1
        }
    }

    Context 'idempotency memory bound' {
        BeforeAll {
            # 1 MiB for one user's remembered contents: about five messages of 100,000 characters.
            $bounded = Start-RapidMockServer -IdempotencyWindowBytes 1MB -MaxMessageBytes 256KB
        }
        AfterAll {
            $bounded | Stop-RapidMockServer
        }

        It 'forgets the oldest large messages beyond -IdempotencyWindowBytes, keeps the newest, and counts them' {
            $c = New-WsTestClient $bounded.Url -Query @{ user_id = (New-TestId) }
            $big = 'x' * 100000
            foreach ($i in 1..12) { Send-WsUserMessage $c -MessageId "big-$i" -SequenceId $i -Content $big }
            @(Receive-WsJson $c -Count 12 -TimeoutSec 10).Count | Should -Be 12
            $bounded.Stats.IdempotencyForgottenEarly | Should -BeGreaterOrEqual 6

            Send-WsUserMessage $c -MessageId 'big-12' -SequenceId 12 -Content $big
            $newest = @(Receive-WsJson $c -TimeoutSec 5)
            $newest[0].duplicate | Should -BeTrue -Because 'the newest message is still remembered'

            Send-WsUserMessage $c -MessageId 'big-1' -SequenceId 13 -Content $big
            $oldest = @(Receive-WsJson $c -TimeoutSec 5)
            $oldest[0].PSObject.Properties.Name | Should -Not -Contain 'duplicate' -Because 'the oldest was forgotten for memory'
            (Get-StateFrame $c).message_count | Should -Be 13
        }

        It 'keeps the whole id window for small messages' {
            $c = New-WsTestClient $bounded.Url -Query @{ user_id = (New-TestId) }
            $before = $bounded.Stats.IdempotencyForgottenEarly
            foreach ($i in 1..300) { Send-WsUserMessage $c -MessageId "small-$i" -SequenceId $i }
            @(Receive-WsJson $c -Count 300 -TimeoutSec 10).Count | Should -Be 300
            Send-WsUserMessage $c -MessageId 'small-1' -SequenceId 1
            (@(Receive-WsJson $c -TimeoutSec 5))[0].duplicate | Should -BeTrue
            $bounded.Stats.IdempotencyForgottenEarly | Should -Be $before
        }

        It 'refuses a bound under 1 MiB, saying what to use' {
            { Start-RapidMockServer -IdempotencyWindowBytes 1000 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,RapidMessageTools.Commands.StartRapidMockServerCommand' -ExpectedMessage '*1048576*'
        }
    }
}
