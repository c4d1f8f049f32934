# The independent server (tests/Servers/independent_server.py) is only worth its verdicts if it speaks the
# protocol: these tests hold it to the contract the scenarios rely on, frame by frame, as the mock is held.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
param()

BeforeAll {
    Import-Module RapidMessageTools -Force
    . (Join-Path $PSScriptRoot 'Support/WsTestClient.ps1')
    . (Join-Path $PSScriptRoot 'Support/IndependentServer.ps1')
    $script:pythonProblem = Get-IndependentServerProblem
    $script:n = 0
    function Get-UniqueId([string] $prefix) { $script:n++; "$prefix-$PID-$($script:n)" }
    function Read-JwtClaim([string] $token) {
        $part = $token.Split('.')[1].Replace('-', '+').Replace('_', '/')
        $part += '=' * ((4 - $part.Length % 4) % 4)
        [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($part)) | ConvertFrom-Json
    }
}

Describe 'The independent server speaks the protocol' -Tag 'Integration', 'Matrix' {
    BeforeAll {
        if (-not $pythonProblem) {
            $server = Start-IndependentServer -QueueCapacity 5 -ResponseDelay 0.05
            $auth = Start-IndependentServer -RequireAuth
            $expired = Start-IndependentServer -RequireAuth -ExpiredTokens
            $streaming = Start-IndependentServer -StreamChunks 3 -ChunkInterval 0.05
        }
    }
    BeforeEach {
        if ($pythonProblem) { Set-ItResult -Skipped -Because $pythonProblem }
    }
    AfterAll {
        Clear-WsTestClient
        Stop-IndependentServer -All
    }

    It 'serves /health and issues HS256 tokens for the user it names' {
        if ($pythonProblem) { return }
        (Invoke-RestMethod $server.HealthUrl).status | Should -Be 'ok'
        $user = Invoke-RestMethod -Method Post -Uri $auth.AuthUrl -Body '{"email":"a@example.com"}' -ContentType 'application/json'
        $user.email | Should -Be 'a@example.com'
        $claims = Read-JwtClaim $user.token
        $claims.sub | Should -Be $user.user_id
        $claims.exp | Should -BeGreaterThan ([DateTimeOffset]::UtcNow.ToUnixTimeSeconds())
    }

    It 'refuses the upgrade without a token when auth is required, and serves a run with one' {
        if ($pythonProblem) { return }
        $refused = { New-WsTestClient $auth.Url } | Should -Throw -ErrorId 'WsUpgradeRefused,New-WsTestClient' -PassThru
        $refused.TargetObject | Should -Be 401
        $token = Get-RapidTestToken -AuthServiceUrl $auth.BaseUrl -NoFallback
        $r = Invoke-RapidScenario Sequential -Url $auth.Url -Token $token.Token -MessageCount 20
        $r.Passed | Should -BeTrue -Because ($r.Violations -join '; ')
    }

    It 'issues tokens already expired when asked to, and refuses them' {
        if ($pythonProblem) { return }
        $user = Invoke-RestMethod -Method Post -Uri $expired.AuthUrl
        (Read-JwtClaim $user.token).exp | Should -BeLessThan ([DateTimeOffset]::UtcNow.ToUnixTimeSeconds())
        $refused = { New-WsTestClient $expired.Url -Headers @{ Authorization = "Bearer $($user.token)" } } | Should -Throw -ErrorId 'WsUpgradeRefused,New-WsTestClient' -PassThru
        $refused.TargetObject | Should -Be 401
    }

    It 'answers bad input with error frames and keeps the connection' {
        if ($pythonProblem) { return }
        $c = New-WsTestClient $server.Url -Query @{ user_id = (Get-UniqueId 'bad') }
        Send-WsText $c '{not json'
        (Receive-WsJson $c).code | Should -Be 'invalid_json'
        Send-WsJson $c @{ type = 'teleport'; request_id = 'r1' }
        $e = Receive-WsJson $c
        $e.code | Should -Be 'unknown_type'
        $e.request_id | Should -Be 'r1'
        Send-WsJson $c @{ type = 'user_message'; message_id = 'x' }
        (Receive-WsJson $c).code | Should -Be 'invalid_message'
        Send-WsJson $c @{ type = 'ping'; request_id = 'p1' }
        (Receive-WsJson $c).type | Should -Be 'pong'
    }

    It 'queues per (user, agent) in FIFO order, rejects with queue_full past capacity, and counts what it processed' {
        if ($pythonProblem) { return }
        $c = New-WsTestClient $server.Url -Query @{ user_id = (Get-UniqueId 'fifo') }
        foreach ($i in 1..8) { Send-WsUserMessage $c -MessageId "m$i" -SequenceId $i -AgentId 'a' }
        $frames = @(Receive-WsJson $c -Count 8 -TimeoutSec 10)
        $rejected = @($frames | Where-Object code -eq 'queue_full')
        $rejected | Should -HaveCount 3
        $rejected[0].max_capacity | Should -Be 5
        @($frames | Where-Object type -eq 'ai_response').sequence_id | Should -Be (1..5)
        Send-WsJson $c @{ type = 'get_agent_state'; agent_id = 'a'; request_id = 's' }
        $state = Receive-WsJson $c
        $state.message_count | Should -Be 5
        $state.last_message_id | Should -Be 'm5'
        $state.corrupted | Should -BeFalse
    }

    It 'replays a repeated message_id marked duplicate without counting it, and tells the user''s other connections' {
        if ($pythonProblem) { return }
        $user = Get-UniqueId 'dup'
        $a = New-WsTestClient $server.Url -Query @{ user_id = $user }
        $b = New-WsTestClient $server.Url -Query @{ user_id = $user }
        $other = New-WsTestClient $server.Url -Query @{ user_id = (Get-UniqueId 'other') }
        Send-WsUserMessage $a -MessageId 'd1' -SequenceId 1 -Content 'hi'
        (Receive-WsJson $a).content | Should -Be 'AI response to: hi'
        $update = Receive-WsJson $b
        $update.type | Should -Be 'state_update'
        $update.message_count | Should -Be 1
        Send-WsUserMessage $a -MessageId 'd1' -SequenceId 1 -Content 'hi'
        (Receive-WsJson $a).duplicate | Should -BeTrue
        Send-WsJson $a @{ type = 'get_agent_state'; request_id = 's' }
        (Receive-WsJson $a).message_count | Should -Be 1
        Receive-WsFrame $other -TimeoutSec 0.5 | Should -BeNullOrEmpty -Because 'another user sees nothing of this one'
    }

    It 'streams a reply in chunks, then a final that joins them; cancel ends a stream with cancelled' {
        if ($pythonProblem) { return }
        $c = New-WsTestClient $streaming.Url -Query @{ user_id = (Get-UniqueId 'stream') }
        Send-WsUserMessage $c -MessageId 's1' -SequenceId 1 -Content 'streamed reply'
        $frames = @(Receive-WsJson $c -Count 4 -TimeoutSec 5)
        $chunks = $frames | Where-Object type -eq 'ai_response_chunk'
        $chunks.chunk_index | Should -Be @(0, 1, 2)
        $final = $frames[-1]
        $final.type | Should -Be 'ai_response'
        $final.chunk_count | Should -Be 3
        $final.content | Should -Be (-join $chunks.content)
        $final.content | Should -Be 'AI response to: streamed reply'

        Send-WsUserMessage $c -MessageId 's2' -SequenceId 2
        (Receive-WsJson $c).chunk_index | Should -Be 0
        Send-WsJson $c @{ type = 'cancel'; message_id = 's2' }
        $end = Receive-WsJson $c -Count 5 -Until { $_.type -eq 'ai_response' } | Select-Object -Last 1
        $end.cancelled | Should -BeTrue
        $end.chunk_count | Should -BeLessThan 3
        Send-WsJson $c @{ type = 'cancel'; message_id = 's2' }
        (Receive-WsJson $c).code | Should -Be 'unknown_message'
    }

    It 'closes with 1009 on a frame over the size limit' {
        if ($pythonProblem) { return }
        $c = New-WsTestClient $server.Url -Query @{ user_id = (Get-UniqueId 'big') }
        Send-WsText $c ('x' * (1MB + 10))
        $end = Receive-WsEnd $c
        $end.MessageType | Should -Be 'Close'
        [int] $end.CloseStatus | Should -Be 1009
    }
}
