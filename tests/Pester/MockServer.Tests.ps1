# The mock backend, from outside: its cmdlets, its wire protocol (docs/PROTOCOL.md), bad input, every
# injected fault, connection lifecycle, third-party clients and abuse. Every server is on port 0,
# loopback, and stopped in AfterAll; every network wait has a timeout (Support/WsTestClient.ps1).
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'test helpers (New-*, Start-*, Remove-*) make test objects; -WhatIf has no meaning in a test')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSReviewUnusedParameter', '', Justification = 'scriptblocks take the parameters their callers pass; closures read them where the rule does not look')]
param()

BeforeAll {
    Import-Module RapidMessageTools -Force
    . (Join-Path $PSScriptRoot 'Support/WsTestClient.ps1')

    # A fresh id, so tests sharing a server never share a user.
    function New-TestId([string] $Prefix = 'u') { $Prefix + '-' + [guid]::NewGuid().ToString('N').Substring(0, 12) }

    function Get-UnixNow { [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() / 1000.0 }

    # Sends a query on $Client and returns the first frame of $Type (others that arrive meanwhile are discarded).
    function Get-StateFrame {
        param($Client, [string] $Query = 'get_agent_state', [string] $Type = 'agent_state', [string] $AgentId, [double] $TimeoutSec = 3)
        $q = [ordered]@{ type = $Query; request_id = (New-TestId 'r') }
        if ($AgentId) { $q.agent_id = $AgentId }
        Send-WsJson $Client $q
        Receive-WsJson $Client -Count 100000 -TimeoutSec $TimeoutSec -Until { $_.type -eq $Type -and $_.request_id -eq $q.request_id } |
            Where-Object { $_.type -eq $Type -and $_.request_id -eq $q.request_id }
    }

    # Proves a server still gives correct service: a new client's message is answered and its close completes.
    function Assert-ServerServes {
        [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseSingularNouns', '', Justification = '''Serves'' is a verb, not a plural noun')]
        param([Parameter(Mandatory)] $Server)
        $c = New-WsTestClient $Server.Url -Query @{ user_id = (New-TestId 'check') }
        Send-WsUserMessage $c -MessageId 'check-1' -SequenceId 1 -Content 'still there?'
        $r = @(Receive-WsJson $c -Count 1 -TimeoutSec 5)
        $r.Count | Should -Be 1
        $r[0].type | Should -Be 'ai_response'
        $r[0].message_id | Should -Be 'check-1'
        $r[0].content | Should -Be 'AI response to: still there?'
        (Close-WsTestClient $c).State | Should -Be 'Closed'
    }
}

AfterAll {
    Clear-WsTestClient
}

Describe 'Start-, Get- and Stop-RapidMockServer' -Tag 'Integration' {
    Context 'a running server' {
        BeforeAll {
            $server = Start-RapidMockServer -ResponseDelay 0.01 -QueueCapacity 42 -MaxMessageBytes 4096 -Fault @{ Seed = 9; DropReplies = 0.5 }
        }
        AfterAll {
            $server | Stop-RapidMockServer
        }

        It 'takes a free port for port 0 and reports its URLs' {
            $server | Should -BeOfType 'RapidMessageTools.MockServer.RapidMockServer'
            $server.Port | Should -BeGreaterThan 0
            $server.IsRunning | Should -BeTrue
            $server.Url | Should -Be "ws://127.0.0.1:$($server.Port)/ws"
            $server.BaseUrl | Should -Be "http://127.0.0.1:$($server.Port)"
            $server.HealthUrl | Should -Be "http://127.0.0.1:$($server.Port)/health"
            $server.AuthUrl | Should -Be "http://127.0.0.1:$($server.Port)/auth/test-user"
        }

        It 'carries the options it was started with' {
            $server.Options.Port | Should -Be 0
            $server.Options.ListenAddress | Should -Be '127.0.0.1'
            $server.Options.ResponseDelay | Should -Be 0.01
            $server.Options.QueueCapacity | Should -Be 42
            $server.Options.MaxMessageBytes | Should -Be 4096
            $server.Options.RequireAuth | Should -BeFalse
            $server.Options.Fault.Seed | Should -Be 9
            $server.Options.Fault.DropReplies | Should -Be 0.5
        }

        It 'has live Stats that count connections' {
            $before = $server.Stats
            $before.ConnectionsOpen | Should -Be 0
            $c = New-WsTestClient $server.Url
            Wait-Condition { $server.Stats.ConnectionsOpen -eq 1 } | Should -BeTrue
            $server.Stats.ConnectionsTotal | Should -Be ($before.ConnectionsTotal + 1)
            $server.Stats.UptimeSeconds | Should -BeGreaterThan $before.UptimeSeconds
            (Close-WsTestClient $c).State | Should -Be 'Closed'
            Wait-Condition { $server.Stats.ConnectionsOpen -eq 0 } | Should -BeTrue
        }

        It 'is listed by Get-RapidMockServer, with and without -Port' {
            $all = @(Get-RapidMockServer)
            $all.Port | Should -Contain $server.Port
            $one = @(Get-RapidMockServer -Port $server.Port)
            $one.Count | Should -Be 1
            [object]::ReferenceEquals($one[0], $server) | Should -BeTrue
            @(Get-RapidMockServer -Port 1).Count | Should -Be 0
        }

        It 'keeps running under Stop-RapidMockServer -WhatIf' {
            $server | Stop-RapidMockServer -WhatIf
            $server.IsRunning | Should -BeTrue
            Test-TcpRefused $server.Port | Should -BeFalse
        }
    }

    Context 'stopping' {
        It 'stops from the pipeline, with -PassThru, and frees the port at once' {
            $s = Start-RapidMockServer
            $out = $s | Stop-RapidMockServer -PassThru
            [object]::ReferenceEquals($out, $s) | Should -BeTrue
            $s.IsRunning | Should -BeFalse
            Test-TcpRefused $s.Port | Should -BeTrue
            @(Get-RapidMockServer -Port $s.Port).Count | Should -Be 0
        }

        It 'writes nothing without -PassThru' {
            $s = Start-RapidMockServer
            $out = $s | Stop-RapidMockServer
            $out | Should -BeNullOrEmpty
            Test-TcpRefused $s.Port | Should -BeTrue
        }

        It 'stops by -Port' {
            $s = Start-RapidMockServer
            Stop-RapidMockServer -Port $s.Port
            $s.IsRunning | Should -BeFalse
            Test-TcpRefused $s.Port | Should -BeTrue
        }

        It 'stops a server given as a deserialized object (Export-Clixml, Import-Clixml)' {
            $s = Start-RapidMockServer
            $path = Join-Path $TestDrive 'server.clixml'
            $s | Export-Clixml -Path $path
            $copy = Import-Clixml -Path $path
            $copy.PSObject.TypeNames | Should -Contain 'Deserialized.RapidMessageTools.MockServer.RapidMockServer'
            $copy | Stop-RapidMockServer
            $s.IsRunning | Should -BeFalse
            Test-TcpRefused $s.Port | Should -BeTrue
        }

        It 'writes MockServerNotFound for a port with no server, and goes on' {
            $s = Start-RapidMockServer
            $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
            $probe.Start(); $freePort = $probe.LocalEndpoint.Port; $probe.Stop()
            Stop-RapidMockServer -Port $freePort, $s.Port -ErrorVariable errs -ErrorAction SilentlyContinue
            @($errs).Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'MockServerNotFound,*'
            $errs[0].TargetObject | Should -Be $freePort
            $s.IsRunning | Should -BeFalse
        }

        It 'stops every server of the session with -All' {
            $a = Start-RapidMockServer
            $b = Start-RapidMockServer
            $stopped = @(Stop-RapidMockServer -All -PassThru)
            $stopped.Port | Should -Contain $a.Port
            $stopped.Port | Should -Contain $b.Port
            @(Get-RapidMockServer).Count | Should -Be 0
            Test-TcpRefused $a.Port | Should -BeTrue
            Test-TcpRefused $b.Port | Should -BeTrue
        }
    }

    Context 'starting' {
        AfterEach {
            Stop-RapidMockServer -All
        }

        It 'starts nothing under -WhatIf' {
            $before = @(Get-RapidMockServer).Count
            $out = Start-RapidMockServer -WhatIf
            $out | Should -BeNullOrEmpty
            @(Get-RapidMockServer).Count | Should -Be $before
        }

        It 'sets the E2E_* variables with -SetEnvironment, and Stop restores them' {
            $names = 'E2E_WEBSOCKET_URL', 'E2E_BACKEND_URL', 'E2E_AUTH_SERVICE_URL', 'RAPID_MESSAGE_TEST_MODE'
            $saved = @{}; foreach ($n in $names) { $saved[$n] = [Environment]::GetEnvironmentVariable($n) }
            try {
                $env:E2E_WEBSOCKET_URL = 'ws://before.invalid/ws'
                $env:E2E_BACKEND_URL = 'http://before.invalid'
                $env:E2E_AUTH_SERVICE_URL = $null
                $env:RAPID_MESSAGE_TEST_MODE = 'real'
                $s = Start-RapidMockServer -SetEnvironment
                $env:E2E_WEBSOCKET_URL | Should -Be $s.Url
                $env:E2E_BACKEND_URL | Should -Be $s.BaseUrl
                $env:E2E_AUTH_SERVICE_URL | Should -Be $s.BaseUrl
                $env:RAPID_MESSAGE_TEST_MODE | Should -Be 'mock'
                $s | Stop-RapidMockServer
                $env:E2E_WEBSOCKET_URL | Should -Be 'ws://before.invalid/ws'
                $env:E2E_BACKEND_URL | Should -Be 'http://before.invalid'
                $env:E2E_AUTH_SERVICE_URL | Should -BeNullOrEmpty
                $env:RAPID_MESSAGE_TEST_MODE | Should -Be 'real'
            }
            finally {
                foreach ($n in $names) { [Environment]::SetEnvironmentVariable($n, $saved[$n]) }
            }
        }

        It 'refuses invalid option <Name> with InvalidMockOption' -ForEach @(
            @{ Name = 'DropReplies = 2'; Fault = @{ DropReplies = 2 } }
            @{ Name = 'ReorderReplies = -0.1'; Fault = @{ ReorderReplies = -0.1 } }
            @{ Name = 'LatencyOutliers = NaN'; Fault = @{ LatencyOutliers = [double]::NaN } }
            @{ Name = 'DisconnectAfter = -1'; Fault = @{ DisconnectAfter = -1 } }
            @{ Name = 'OutlierDelay = -1'; Fault = @{ OutlierDelay = -1 } }
        ) {
            $before = @(Get-RapidMockServer).Count
            $err = { Start-RapidMockServer -Fault $Fault } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'InvalidMockOption,*'
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            @(Get-RapidMockServer).Count | Should -Be $before
        }

        It 'listens on -ListenAddress localhost' {
            $s = Start-RapidMockServer -ListenAddress localhost
            $s.Url | Should -Be "ws://localhost:$($s.Port)/ws"
            $s.Options.IsLoopback | Should -BeTrue
            Assert-ServerServes $s
        }

        It 'refuses -ListenAddress ::1 with InvalidMockOption where HttpListener cannot bind IPv6 (not Windows)' {
            if ($IsWindows) {
                Set-ItResult -Skipped -Because 'http.sys binds IPv6 literals; the limitation is the managed HttpListener on Linux and macOS'
                return
            }
            $err = { Start-RapidMockServer -ListenAddress '::1' } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'InvalidMockOption,*'
        }

        It 'refuses a fixed port held by another socket with MockPortUnavailable' {
            $holder = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
            $holder.Start()
            try {
                $err = { Start-RapidMockServer -Port $holder.LocalEndpoint.Port } | Should -Throw -PassThru
                $err.FullyQualifiedErrorId | Should -BeLike 'MockPortUnavailable,*'
                $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            }
            finally {
                $holder.Stop()
            }
        }

        It 'refuses a fixed port held by another mock with MockPortUnavailable' {
            $first = Start-RapidMockServer
            $err = { Start-RapidMockServer -Port $first.Port } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'MockPortUnavailable,*'
            $first.IsRunning | Should -BeTrue
            Assert-ServerServes $first
        }
    }
}

Describe 'Module removal' -Tag 'Integration' {
    It 'stops every server when the module is removed' {
        $s = Start-RapidMockServer
        $c = New-WsTestClient $s.Url
        Remove-Module RapidMessageTools
        try {
            $s.IsRunning | Should -BeFalse
            Test-TcpRefused $s.Port | Should -BeTrue
            (Receive-WsEnd $c -TimeoutSec 2) | Should -Not -BeNullOrEmpty
        }
        finally {
            Import-Module RapidMessageTools -Force
        }
        @(Get-RapidMockServer).Count | Should -Be 0
    }
}

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

Describe 'Injected faults' -Tag 'Integration' {
    Context '<Name>' -ForEach @(
        @{
            Name = 'DropReplies = 1: no reply, but the message is processed'
            Fault = @{ DropReplies = 1; Seed = 7 }; Options = @{}
            Observe = {
                param($Server)
                $c = New-WsTestClient $Server.Url -Query @{ user_id = (New-TestId) }
                foreach ($i in 1..3) { Send-WsUserMessage $c -MessageId "dr-$i" -SequenceId $i }
                Wait-Condition { $Server.Stats.Processed -ge 3 } | Should -BeTrue
                $frames = @(Receive-WsJson $c -Count 10 -TimeoutSec 0.3)
                @($frames | Where-Object type -EQ 'ai_response').Count | Should -Be 0
                (Get-StateFrame $c).message_count | Should -Be 3
                $Server.Stats.Dropped | Should -Be 3
            }
        }
        @{
            Name = 'DuplicateReplies = 1: two replies, neither marked duplicate'
            Fault = @{ DuplicateReplies = 1; Seed = 7 }; Options = @{}
            Observe = {
                param($Server)
                $c = New-WsTestClient $Server.Url -Query @{ user_id = (New-TestId) }
                Send-WsUserMessage $c -MessageId 'du-1' -SequenceId 1
                $r = @(Receive-WsJson $c -Count 2 -TimeoutSec 3)
                $r.Count | Should -Be 2
                @(Receive-WsJson $c -Count 1 -TimeoutSec 0.3).Count | Should -Be 0
                $r.message_id | Should -Be @('du-1', 'du-1')
                $r | ForEach-Object { $_.PSObject.Properties.Name | Should -Not -Contain 'duplicate' }
                (Get-StateFrame $c).message_count | Should -Be 1
            }
        }
        @{
            Name = 'ReorderReplies = 1: replies leave out of order'
            Fault = @{ ReorderReplies = 1; Seed = 7 }; Options = @{ ResponseDelay = 0.05 }
            Observe = {
                param($Server)
                $c = New-WsTestClient $Server.Url -Query @{ user_id = (New-TestId) }
                foreach ($i in 1..10) { Send-WsUserMessage $c -MessageId "ro-$i" -SequenceId $i }
                $r = @(Receive-WsJson $c -Count 10 -TimeoutSec 5)
                $r.Count | Should -Be 10
                ($r.sequence_id | Sort-Object) | Should -Be (1..10)
                ($r.sequence_id -join ',') | Should -Not -Be ((1..10) -join ',')
            }
        }
        @{
            Name = 'ProcessDuplicates: a repeat is processed again, unmarked'
            Fault = @{ ProcessDuplicates = $true; Seed = 7 }; Options = @{}
            Observe = {
                param($Server)
                $c = New-WsTestClient $Server.Url -Query @{ user_id = (New-TestId) }
                Send-WsUserMessage $c -MessageId 'pd-1' -SequenceId 1
                $null = Receive-WsJson $c -TimeoutSec 3
                Send-WsUserMessage $c -MessageId 'pd-1' -SequenceId 1
                $r = @(Receive-WsJson $c -TimeoutSec 3)
                $r[0].message_id | Should -Be 'pd-1'
                $r[0].PSObject.Properties.Name | Should -Not -Contain 'duplicate'
                (Get-StateFrame $c).message_count | Should -Be 2
            }
        }
        @{
            Name = 'DropOnOverflow: no queue_full, some messages neither answered nor rejected'
            Fault = @{ DropOnOverflow = $true; Seed = 7 }; Options = @{ QueueCapacity = 5; ResponseDelay = 0.1 }
            Observe = {
                param($Server)
                $c = New-WsTestClient $Server.Url -Query @{ user_id = (New-TestId) }
                foreach ($i in 1..20) { Send-WsUserMessage $c -MessageId "do-$i" -SequenceId $i }
                $frames = @(Receive-WsJson $c -Count 20 -TimeoutSec 2.5)
                @($frames | Where-Object type -EQ 'error').Count | Should -Be 0
                $answered = @($frames | Where-Object type -EQ 'ai_response').Count
                $answered | Should -BeGreaterOrEqual 5
                $answered | Should -BeLessThan 20
                $Server.Stats.Dropped | Should -Be (20 - $answered)
                (Get-StateFrame $c).message_count | Should -Be $answered
            }
        }
        @{
            Name = 'CorruptState = 1: agent_state marked corrupted, count wrong'
            Fault = @{ CorruptState = 1; Seed = 7 }; Options = @{}
            Observe = {
                param($Server)
                $c = New-WsTestClient $Server.Url -Query @{ user_id = (New-TestId) }
                foreach ($i in 1..2) { Send-WsUserMessage $c -MessageId "cs-$i" -SequenceId $i }
                @(Receive-WsJson $c -Count 2 -TimeoutSec 3).Count | Should -Be 2
                $s = Get-StateFrame $c
                $s.corrupted | Should -BeTrue
                $s.message_count | Should -Not -Be 2
            }
        }
        @{
            Name = 'StaleState = 1: agent_state lags one message'
            Fault = @{ StaleState = 1; Seed = 7 }; Options = @{}
            Observe = {
                param($Server)
                $c = New-WsTestClient $Server.Url -Query @{ user_id = (New-TestId) }
                foreach ($i in 1..3) { Send-WsUserMessage $c -MessageId "ss-$i" -SequenceId $i }
                @(Receive-WsJson $c -Count 3 -TimeoutSec 3).Count | Should -Be 3
                $s = Get-StateFrame $c
                $s.message_count | Should -Be 2
                $s.last_sequence_id | Should -Be 2
                $s.last_message_id | Should -Be 'ss-2'
                $s.corrupted | Should -BeFalse
            }
        }
        @{
            Name = 'NoStateUpdate: the other connection hears nothing'
            Fault = @{ NoStateUpdate = $true; Seed = 7 }; Options = @{}
            Observe = {
                param($Server)
                $user = New-TestId
                $from = New-WsTestClient $Server.Url -Query @{ user_id = $user }
                $other = New-WsTestClient $Server.Url -Query @{ user_id = $user }
                Wait-Condition { $Server.Stats.ConnectionsOpen -ge 2 } | Should -BeTrue
                Send-WsUserMessage $from -MessageId 'nsu-1' -SequenceId 1
                (@(Receive-WsJson $from -TimeoutSec 3))[0].type | Should -Be 'ai_response'
                @(Receive-WsJson $other -Count 1 -TimeoutSec 0.5).Count | Should -Be 0
                (Get-StateFrame $other).message_count | Should -Be 1
            }
        }
        @{
            Name = 'DisconnectAfter = 3: the connection drops after 3 messages'
            Fault = @{ DisconnectAfter = 3; Seed = 7 }; Options = @{}
            Observe = {
                param($Server)
                $c = New-WsTestClient $Server.Url -Query @{ user_id = (New-TestId) }
                foreach ($i in 1..2) { Send-WsUserMessage $c -MessageId "dc-$i" -SequenceId $i }
                @(Receive-WsJson $c -Count 2 -TimeoutSec 3).Count | Should -Be 2
                Send-WsJson $c @{ type = 'ping' }
                (@(Receive-WsJson $c -TimeoutSec 3))[0].type | Should -Be 'pong'
                Send-WsUserMessage $c -MessageId 'dc-3' -SequenceId 3
                $end = Receive-WsEnd $c -TimeoutSec 3
                $end.MessageType | Should -Be 'Aborted'
                $c.Socket.State | Should -Be 'Aborted'
                Assert-ServerServes $Server
            }
        }
        @{
            Name = 'LatencyOutliers = 1: every reply takes OutlierDelay more'
            Fault = @{ LatencyOutliers = 1; OutlierDelay = 0.3; Seed = 7 }; Options = @{}
            Observe = {
                param($Server)
                $c = New-WsTestClient $Server.Url -Query @{ user_id = (New-TestId) }
                $clock = [System.Diagnostics.Stopwatch]::StartNew()
                Send-WsUserMessage $c -MessageId 'lo-1' -SequenceId 1
                $r = @(Receive-WsJson $c -TimeoutSec 3)
                $clock.Stop()
                $r[0].type | Should -Be 'ai_response'
                $clock.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 0.29
            }
        }
        @{
            Name = 'LeakState: user b sees user a''s state'
            Fault = @{ LeakState = $true; Seed = 7 }; Options = @{}
            Observe = {
                param($Server)
                $a = New-WsTestClient $Server.Url -Query @{ user_id = (New-TestId 'a') }
                $b = New-WsTestClient $Server.Url -Query @{ user_id = (New-TestId 'b') }
                foreach ($i in 1..2) { Send-WsUserMessage $a -MessageId "ls-$i" -SequenceId $i }
                @(Receive-WsJson $a -Count 2 -TimeoutSec 3 | Where-Object type -EQ 'ai_response').Count | Should -Be 2
                (Get-StateFrame $b).message_count | Should -Be 2
            }
        }
    ) {
        BeforeAll {
            $faulty = Start-RapidMockServer -Fault $Fault @Options
        }
        AfterAll {
            $faulty | Stop-RapidMockServer
        }

        It 'is observable from a client' {
            $faulty.Options.Fault.Any | Should -BeTrue
            & $Observe $faulty
        }
    }
}

Describe 'Connection lifecycle' -Tag 'Integration' {
    It 'completes a client close handshake promptly' {
        $server = Start-RapidMockServer
        try {
            $c = New-WsTestClient $server.Url
            Send-WsUserMessage $c -MessageId 'cl-1' -SequenceId 1
            $null = Receive-WsJson $c -TimeoutSec 3
            $closed = Close-WsTestClient $c
            $closed.Error | Should -BeNullOrEmpty
            $closed.State | Should -Be 'Closed'
            # ClientWebSocket waits up to 1 s for the server to end the TCP connection after the
            # close handshake, so anything near 1 s means the server kept it open.
            $closed.Seconds | Should -BeLessThan 0.9
            Wait-Condition { $server.Stats.ConnectionsOpen -eq 0 } -TimeoutSec 3 | Should -BeTrue
        }
        finally {
            $server | Stop-RapidMockServer
        }
    }

    It 'closes open connections on Stop-RapidMockServer' {
        $server = Start-RapidMockServer
        try {
            $clients = foreach ($i in 1..3) {
                $c = New-WsTestClient $server.Url -Query @{ user_id = (New-TestId) }
                Send-WsUserMessage $c -MessageId "stop-$i" -SequenceId 1
                (@(Receive-WsJson $c -TimeoutSec 3))[0].type | Should -Be 'ai_response'
                $c
            }
            $server.Stats.ConnectionsOpen | Should -Be 3
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $server | Stop-RapidMockServer
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 3
            foreach ($c in $clients) {
                $end = Receive-WsEnd $c -TimeoutSec 2
                $end | Should -Not -BeNullOrEmpty
                $c.Socket.State | Should -BeIn 'Aborted', 'Closed', 'CloseReceived'
            }
            $server.Stats.ConnectionsOpen | Should -Be 0
            Test-TcpRefused $server.Port | Should -BeTrue
        }
        finally {
            $server | Stop-RapidMockServer
        }
    }
}

Describe 'Third-party WebSocket clients' -Tag 'Integration', 'External' {
    BeforeAll {
        $server = Start-RapidMockServer

        # Runs a program with a time limit; returns ExitCode (-1 when killed), StdOut and StdErr.
        function Invoke-BoundedProcess {
            param([string] $FilePath, [string[]] $ArgumentList, [hashtable] $Environment = @{}, [double] $TimeoutSec = 30)
            $psi = [System.Diagnostics.ProcessStartInfo]::new($FilePath)
            foreach ($a in $ArgumentList) { $psi.ArgumentList.Add($a) }
            foreach ($k in $Environment.Keys) { $psi.Environment[$k] = $Environment[$k] }
            $psi.RedirectStandardOutput = $true
            $psi.RedirectStandardError = $true
            $psi.UseShellExecute = $false
            $p = [System.Diagnostics.Process]::Start($psi)
            try {
                $out = $p.StandardOutput.ReadToEndAsync()
                $err = $p.StandardError.ReadToEndAsync()
                $code = if ($p.WaitForExit([int]($TimeoutSec * 1000))) { $p.ExitCode } else { $p.Kill($true); -1 }
                $p.WaitForExit()
                [pscustomobject]@{ ExitCode = $code; StdOut = $out.GetAwaiter().GetResult(); StdErr = $err.GetAwaiter().GetResult() }
            }
            finally {
                $p.Dispose()
            }
        }

        # The same check for every client: 5 answers in order, then message_count 5, then a prompt close.
        function Assert-ClientRun {
            param($Run)
            $Run.ExitCode | Should -Be 0 -Because $Run.StdErr
            $result = $Run.StdOut | ConvertFrom-Json
            $result.replies.Count | Should -Be 5
            $result.replies.type | Sort-Object -Unique | Should -Be 'ai_response'
            $result.replies.sequence_id | Should -Be (1..5)
            $result.replies[0].content | Should -Be 'AI response to: external 1'
            $result.state.type | Should -Be 'agent_state'
            $result.state.message_count | Should -Be 5
            $result.close_code | Should -Be 1000
            $result.close_seconds | Should -BeLessThan 2
        }
    }
    AfterAll {
        $server | Stop-RapidMockServer
    }

    It 'serves python3-websockets' {
        $hasPython = (Test-Path /usr/bin/python3) -and (Invoke-BoundedProcess /usr/bin/python3 @('-c', 'import websockets') -TimeoutSec 20).ExitCode -eq 0
        if (-not $hasPython) {
            Set-ItResult -Skipped -Because '/usr/bin/python3 with python3-websockets is not installed (apt-get install python3-websockets)'
            return
        }
        $script = Join-Path $TestDrive 'client.py'
        Set-Content -Path $script -Encoding utf8 -Value @'
import asyncio, json, sys, time
import websockets

async def main(url):
    # close_timeout=10: a server that keeps TCP open after the close handshake makes close() wait 10 s.
    ws = await asyncio.wait_for(websockets.connect(url, close_timeout=10), 5)
    for i in range(1, 6):
        await ws.send(json.dumps({"type": "user_message", "message_id": "py-%d" % i, "sequence_id": i, "content": "external %d" % i}))
    replies = []
    while len(replies) < 5:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if frame["type"] == "ai_response":
            replies.append(frame)
    await ws.send(json.dumps({"type": "get_agent_state", "request_id": "py-state"}))
    state = None
    while state is None:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if frame.get("request_id") == "py-state":
            state = frame
    started = time.monotonic()
    await ws.close()
    await asyncio.wait_for(ws.wait_closed(), 15)
    print(json.dumps({"replies": replies, "state": state, "close_code": ws.close_code, "close_seconds": time.monotonic() - started}))

asyncio.run(asyncio.wait_for(main(sys.argv[1]), 40))
'@
        $run = Invoke-BoundedProcess /usr/bin/python3 @($script, "$($server.Url)?user_id=$(New-TestId 'py')") -TimeoutSec 45
        Write-Information -InformationAction Continue "python3-websockets: close took $(($run.StdOut | ConvertFrom-Json).close_seconds) s"
        Assert-ClientRun $run
    }

    It 'serves node ws' {
        $node = Get-Command node -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
        $nodeEnv = @{ NODE_PATH = '/usr/share/nodejs' }
        $hasWs = $node -and (Invoke-BoundedProcess $node.Source @('-e', "require('ws')") -Environment $nodeEnv -TimeoutSec 20).ExitCode -eq 0
        if (-not $hasWs) {
            Set-ItResult -Skipped -Because 'node with the ws module is not installed (apt-get install node-ws)'
            return
        }
        $script = Join-Path $TestDrive 'client.js'
        Set-Content -Path $script -Encoding utf8 -Value @'
const WebSocket = require('ws');
const url = process.argv[2];
const replies = [];
let state = null, closeStarted = null;
const timer = setTimeout(() => { console.error('timed out'); process.exit(2); }, 40000);
// closeTimeout 10 s: a server that keeps TCP open after the close handshake makes 'close' wait 10 s.
const ws = new WebSocket(url, { handshakeTimeout: 5000, closeTimeout: 10000 });
ws.on('error', e => { console.error(String(e)); process.exit(3); });
ws.on('open', () => {
  for (let i = 1; i <= 5; i++) {
    ws.send(JSON.stringify({ type: 'user_message', message_id: 'js-' + i, sequence_id: i, content: 'external ' + i }));
  }
});
ws.on('message', data => {
  const f = JSON.parse(data.toString());
  if (f.type === 'ai_response') {
    replies.push(f);
    if (replies.length === 5) ws.send(JSON.stringify({ type: 'get_agent_state', request_id: 'js-state' }));
  } else if (f.request_id === 'js-state') {
    state = f;
    closeStarted = process.hrtime.bigint();
    ws.close(1000);
  }
});
ws.on('close', code => {
  const seconds = closeStarted === null ? null : Number(process.hrtime.bigint() - closeStarted) / 1e9;
  clearTimeout(timer);
  console.log(JSON.stringify({ replies, state, close_code: code, close_seconds: seconds }));
});
'@
        $run = Invoke-BoundedProcess $node.Source @($script, "$($server.Url)?user_id=$(New-TestId 'js')") -Environment $nodeEnv -TimeoutSec 45
        Write-Information -InformationAction Continue "node ws: close took $(($run.StdOut | ConvertFrom-Json).close_seconds) s"
        Assert-ClientRun $run
    }
}

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
