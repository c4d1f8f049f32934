[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
param()

BeforeAll {
    Import-Module RapidMessageTools -Force
    . (Join-Path $PSScriptRoot 'Helpers/TestServers.ps1')
}

Describe 'Test-RapidEnvironment with nothing configured' -Tag 'Integration' {
    BeforeAll {
        $savedEnvironment = Save-RapidEnvironment
        $otherMocks = @(Get-RapidMockServer)
    }
    AfterAll {
        Restore-RapidEnvironment $savedEnvironment
    }

    It 'in mock mode with no URL and no mock in the session, says so instead of probing defaults' {
        if ($otherMocks.Count -gt 0) { Set-ItResult -Skipped -Because 'another test left a mock server running in this session' }
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $r = Test-RapidEnvironment
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 1
        $r.IsReady | Should -BeFalse
        $r.Mode | Should -Be 'mock'
        $r.Services | Should -HaveCount 0
        $r.Reason | Should -Not -BeNullOrEmpty
        $r.Settings.WebSocketUrlSource | Should -Be 'Default'
        Test-RapidEnvironment -Quiet | Should -BeFalse
    }
}

Describe 'Test-RapidEnvironment against the mock' -Tag 'Integration' {
    BeforeAll {
        $savedEnvironment = Save-RapidEnvironment
        $server = Start-RapidMockServer
    }
    AfterAll {
        $server | Stop-RapidMockServer
        Restore-RapidEnvironment $savedEnvironment
    }

    It 'finds every service ready, with the WebSocket upgraded (101) and /health answering 200' {
        $r = Test-RapidEnvironment -Url $server.Url
        $r | Should -BeOfType ([RapidMessageTools.TestEnvironment.RapidEnvironmentReport])
        $r.IsReady | Should -BeTrue -Because $r.Reason
        $r.Mode | Should -Be 'mock'
        $r.Services.Name | Should -Be @('WebSocket', 'Backend', 'AuthService')
        $r.Services | ForEach-Object { $_.Available | Should -BeTrue -Because $_.Error }
        ($r.Services | Where-Object Name -eq 'WebSocket').StatusCode | Should -Be 101
        ($r.Services | Where-Object Name -eq 'Backend').StatusCode | Should -Be 200
        ($r.Services | Where-Object Name -eq 'Backend').Url | Should -Be $server.HealthUrl
        $r.Settings.BackendUrlSource | Should -Be 'Derived'
    }

    It 'closes its probe socket cleanly (no connection left open on the mock)' {
        Test-RapidEnvironment -Url $server.Url | Out-Null
        $deadline = [DateTime]::UtcNow.AddSeconds(3)
        while ($server.Stats.ConnectionsOpen -gt 0 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        $server.Stats.ConnectionsOpen | Should -Be 0
    }

    It 'uses the mock running in this session when no URL is given' {
        $r = Test-RapidEnvironment
        $r.IsReady | Should -BeTrue -Because $r.Reason
        $r.Settings.WebSocketUrl | Should -Be $server.Url
        $r.Settings.WebSocketUrlSource | Should -Be 'MockServer'
        $r.Settings.AuthServiceUrlSource | Should -Be 'MockServer'
    }

    It 'uses the URLs Start-RapidMockServer -SetEnvironment set' {
        $other = Start-RapidMockServer -SetEnvironment
        try {
            $r = Test-RapidEnvironment
            $r.IsReady | Should -BeTrue -Because $r.Reason
            $r.Settings.WebSocketUrl | Should -Be $other.Url
            $r.Settings.WebSocketUrlSource | Should -Be 'Environment'
        }
        finally { $other | Stop-RapidMockServer }
    }

    It 'takes a mock server from the pipeline (Url and BaseUrl by property name), deserialized ones too' {
        $r = $server | Test-RapidEnvironment
        $r.IsReady | Should -BeTrue -Because $r.Reason
        $r.Settings.WebSocketUrlSource | Should -Be 'Parameter'
        $r.Settings.BackendUrlSource | Should -Be 'Parameter'

        $path = Join-Path $TestDrive 'server.clixml'
        $server | Export-Clixml -Path $path -Depth 1
        (Import-Clixml -Path $path | Test-RapidEnvironment -Quiet) | Should -BeTrue
        (Import-Clixml -Path $path | Get-RapidTestToken).Source | Should -Be 'Real'
    }

    It '-Quiet returns only a [bool]' {
        $q = Test-RapidEnvironment -Url $server.Url -Quiet
        $q | Should -BeOfType ([bool])
        $q | Should -BeTrue
    }

    It '-IncludeTokenCheck fetches a test user and connects with its token' {
        $r = Test-RapidEnvironment -Url $server.Url -IncludeTokenCheck
        $r.IsReady | Should -BeTrue -Because $r.Reason
        $r.Services.Name | Should -Contain 'TestToken'
        ($r.Services | Where-Object Name -eq 'TestToken').Available | Should -BeTrue
    }


    It 'round-trips through Export-Clixml and ConvertTo-Json' {
        $r = Test-RapidEnvironment -Url $server.Url
        $path = Join-Path $TestDrive 'report.clixml'
        $r | Export-Clixml -Path $path -Depth 4
        $back = Import-Clixml -Path $path
        $back.IsReady | Should -BeTrue
        $back.Services[0].Name | Should -Be 'WebSocket'
        $back.Services[0].StatusCode | Should -Be 101
        $back.Settings.WebSocketUrl | Should -Be $server.Url
        $back.Settings.WebSocketUrlSource | Should -Be 'Parameter'

        $json = $r | ConvertTo-Json -Depth 5 | ConvertFrom-Json
        $json.IsReady | Should -BeTrue
        $json.Services[1].Name | Should -Be 'Backend'
        $json.Settings.Mode | Should -Be 'mock'
    }
}

Describe 'Test-RapidEnvironment as a Pester gate' -Tag 'Integration' {
    # The pattern the help shows: probe once in BeforeAll, skip in BeforeEach (Pester 5 refuses Set-ItResult in BeforeAll).
    BeforeAll {
        $gateServer = Start-RapidMockServer
        $backendReady = Test-RapidEnvironment -Url $gateServer.Url -Quiet
        $closedReady = Test-RapidEnvironment -Url "ws://127.0.0.1:$(Get-ClosedPort)/ws" -Quiet
    }
    AfterAll {
        $gateServer | Stop-RapidMockServer
    }
    BeforeEach {
        if (-not $backendReady) { Set-ItResult -Skipped -Because 'the backend is not ready' }
    }

    It 'lets the tests run when the backend is ready, and would skip them when it is not' {
        $backendReady | Should -BeTrue
        $closedReady | Should -BeFalse
    }
}

Describe 'Test-RapidEnvironment when services fail' -Tag 'Integration' {
    BeforeAll {
        $savedEnvironment = Save-RapidEnvironment
        $server = Start-RapidMockServer
        $closedPort = Get-ClosedPort
        $plainHttp = [RapidTestHelpers.CannedHttpServer]::new(200, 'text/plain', 'hello, I am not a WebSocket server')
        $failing = [RapidTestHelpers.CannedHttpServer]::new(500, 'text/plain', 'internal error')
        $silent = [RapidTestHelpers.SilentTcpServer]::new()

        function Get-Status([object] $Report, [string] $Name) { $Report.Services | Where-Object Name -eq $Name }
    }
    AfterAll {
        $server | Stop-RapidMockServer
        $plainHttp.Dispose()
        $failing.Dispose()
        $silent.Dispose()
        Restore-RapidEnvironment $savedEnvironment
    }

    It 'reports a refused port as ConnectionRefused on every service, with a reason' {
        $r = Test-RapidEnvironment -Url "ws://127.0.0.1:$closedPort/ws"
        $r.IsReady | Should -BeFalse
        $r.Reason | Should -Not -BeNullOrEmpty
        $r.Services | ForEach-Object {
            $_.Available | Should -BeFalse
            $_.ErrorKind | Should -Be 'ConnectionRefused'
            $_.Error | Should -Not -BeNullOrEmpty
        }
        Test-RapidEnvironment -Url "ws://127.0.0.1:$closedPort/ws" -Quiet | Should -BeFalse
    }

    It 'reports a host that does not resolve as DnsFailure' {
        $r = Test-RapidEnvironment -Url 'ws://no-such-host.invalid/ws' -TimeoutSec 3
        $r.IsReady | Should -BeFalse
        (Get-Status $r 'WebSocket').ErrorKind | Should -Be 'DnsFailure'
        (Get-Status $r 'Backend').ErrorKind | Should -Be 'DnsFailure'
    }

    It 'reports a plain HTTP port as NotWebSocket (status 200), and /health without JSON as InvalidResponse' {
        $r = Test-RapidEnvironment -Url $plainHttp.WebSocketUrl
        $r.IsReady | Should -BeFalse
        $ws = Get-Status $r 'WebSocket'
        $ws.ErrorKind | Should -Be 'NotWebSocket'
        $ws.StatusCode | Should -Be 200
        $backend = Get-Status $r 'Backend'
        $backend.ErrorKind | Should -Be 'InvalidResponse'
        $backend.StatusCode | Should -Be 200
        # Any HTTP answer below 500 counts as a reachable auth service.
        (Get-Status $r 'AuthService').Available | Should -BeTrue
    }

    It 'reports a wrong WebSocket path on the mock as NotWebSocket (404) while the rest is fine' {
        $r = Test-RapidEnvironment -Url ($server.Url -replace '/ws$', '/nope')
        $ws = Get-Status $r 'WebSocket'
        $ws.ErrorKind | Should -Be 'NotWebSocket'
        $ws.StatusCode | Should -Be 404
        (Get-Status $r 'Backend').Available | Should -BeTrue
    }

    It 'reports HTTP 500 as HttpError with the status on every service' {
        $r = Test-RapidEnvironment -Url $failing.WebSocketUrl
        $r.IsReady | Should -BeFalse
        $r.Services | ForEach-Object {
            $_.ErrorKind | Should -Be 'HttpError'
            $_.StatusCode | Should -Be 500
        }
    }

    It 'reports a TLS URL on a port without TLS as TlsFailure' {
        $r = Test-RapidEnvironment -Url ($server.Url -replace '^ws:', 'wss:')
        (Get-Status $r 'WebSocket').ErrorKind | Should -Be 'TlsFailure'
        (Get-Status $r 'Backend').ErrorKind | Should -Be 'TlsFailure'
    }

    It 'returns within the timeout when the server accepts TCP and never answers, with Timeout errors' {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $r = Test-RapidEnvironment -Url $silent.WebSocketUrl -TimeoutSec 1
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 2.5
        $r.IsReady | Should -BeFalse
        $r.Services | ForEach-Object {
            $_.ErrorKind | Should -Be 'Timeout'
            $_.Error | Should -Not -BeNullOrEmpty
        }
    }

    It 'probes concurrently: hung services (token check included) take one timeout, not one each' {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $r = Test-RapidEnvironment -Url $silent.WebSocketUrl -BackendUrl $silent.BaseUrl -AuthServiceUrl $silent.BaseUrl -TimeoutSec 1 -IncludeTokenCheck
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 2.5
        (Get-Status $r 'TestToken').ErrorKind | Should -Be 'Timeout'
        # The token step used the whole time, so the authenticated WebSocket was not tried.
        (Get-Status $r 'WebSocket').ErrorKind | Should -Be 'NotAttempted'
    }

    It '<Name> stops within about a second on Ctrl+C (StopProcessing), long before -TimeoutSec' -ForEach @(
        @{ Name = 'Test-RapidEnvironment'; Command = 'Test-RapidEnvironment -Url "{0}" -TimeoutSec 30' }
        @{ Name = 'Get-RapidTestToken'; Command = 'Get-RapidTestToken -AuthServiceUrl "{1}" -TimeoutSec 30 -WarningAction SilentlyContinue' }
    ) {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module RapidMessageTools; $($Command -f $silent.WebSocketUrl, $silent.BaseUrl)")
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $async = $ps.BeginInvoke()
            Start-Sleep -Seconds 2
            $async.IsCompleted | Should -BeFalse -Because 'the command waits on a server that never answers'
            $stopClock = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $stopClock.Elapsed.TotalSeconds | Should -BeLessThan 1.5
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally { $ps.Dispose() }
    }

    It 'gives each failure kind its own error text' {
        $errors = @(
            (Get-Status (Test-RapidEnvironment -Url "ws://127.0.0.1:$closedPort/ws") 'WebSocket').Error
            (Get-Status (Test-RapidEnvironment -Url 'ws://no-such-host.invalid/ws' -TimeoutSec 3) 'WebSocket').Error
            (Get-Status (Test-RapidEnvironment -Url $plainHttp.WebSocketUrl) 'WebSocket').Error
            (Get-Status (Test-RapidEnvironment -Url $failing.WebSocketUrl) 'WebSocket').Error
            (Get-Status (Test-RapidEnvironment -Url $silent.WebSocketUrl -TimeoutSec 0.5) 'WebSocket').Error
            (Get-Status (Test-RapidEnvironment -Url ($server.Url -replace '^ws:', 'wss:')) 'WebSocket').Error
        )
        $errors | ForEach-Object { $_ | Should -Not -BeNullOrEmpty }
        @($errors | Sort-Object -Unique) | Should -HaveCount $errors.Count
    }

    It 'in real mode probes the configured URLs and reports the failure' {
        $r = Test-RapidEnvironment -Mode Real -Url "ws://127.0.0.1:$closedPort/ws" -BackendUrl "http://127.0.0.1:$closedPort" -AuthServiceUrl "http://127.0.0.1:$closedPort"
        $r.Mode | Should -Be 'real'
        $r.IsReady | Should -BeFalse
        (Get-Status $r 'WebSocket').ErrorKind | Should -Be 'ConnectionRefused'
    }

    It 'in real mode a down auth service does not block readiness unless -IncludeTokenCheck asks for it' {
        $r = Test-RapidEnvironment -Mode Real -Url $server.Url -BackendUrl $server.BaseUrl -AuthServiceUrl "http://127.0.0.1:$closedPort"
        $r.IsReady | Should -BeTrue -Because $r.Reason
        $auth = Get-Status $r 'AuthService'
        $auth.Available | Should -BeFalse
        $auth.Required | Should -BeFalse

        $strict = Test-RapidEnvironment -Mode Real -Url $server.Url -BackendUrl $server.BaseUrl -AuthServiceUrl "http://127.0.0.1:$closedPort" -IncludeTokenCheck
        $strict.IsReady | Should -BeFalse
        $strict.Reason | Should -Not -BeNullOrEmpty
        (Get-Status $strict 'TestToken').ErrorKind | Should -Be 'ConnectionRefused'
        # Without a token the WebSocket is still tried, anonymously.
        (Get-Status $strict 'WebSocket').Available | Should -BeTrue
    }
}

Describe 'A token-protected mock (-RequireAuth)' -Tag 'Integration' {
    BeforeAll {
        $savedEnvironment = Save-RapidEnvironment
        $secure = Start-RapidMockServer -RequireAuth
    }
    AfterAll {
        $secure | Stop-RapidMockServer
        Restore-RapidEnvironment $savedEnvironment
    }

    It 'is not ready without a token: the WebSocket probe gets 401 (AuthRequired)' {
        $r = Test-RapidEnvironment -Url $secure.Url
        $r.IsReady | Should -BeFalse
        $ws = $r.Services | Where-Object Name -eq 'WebSocket'
        $ws.ErrorKind | Should -Be 'AuthRequired'
        $ws.StatusCode | Should -Be 401
    }

    It 'is ready with -IncludeTokenCheck (token from /auth/test-user, Authorization: Bearer)' {
        $r = Test-RapidEnvironment -Url $secure.Url -IncludeTokenCheck
        $r.IsReady | Should -BeTrue -Because $r.Reason
        ($r.Services | Where-Object Name -eq 'WebSocket').StatusCode | Should -Be 101
    }

    It 'accepts a token from Get-RapidTestToken and rejects a missing or mock one' {
        $token = Get-RapidTestToken -AuthServiceUrl $secure.BaseUrl
        $token.Source | Should -Be 'Real'
        $socket = Connect-TestWebSocket -Url $secure.Url -Token $token.Token
        try {
            $socket.State | Should -Be 'Open'
            $state = Invoke-TestWebSocketRequest -Socket $socket -Frame '{"type":"get_agent_state"}'
            $state.user_id | Should -Be $token.UserId
        }
        finally { Close-TestWebSocket $socket }

        { Connect-TestWebSocket -Url $secure.Url } | Should -Throw
        $mockToken = [RapidMessageTools.TestEnvironment.TestTokenClient]::CreateMock($null, $secure.BaseUrl, 'test', $null)
        { Connect-TestWebSocket -Url $secure.Url -Token $mockToken.Token } | Should -Throw
    }
}

Describe 'Get-RapidTestToken' -Tag 'Integration' {
    BeforeAll {
        $savedEnvironment = Save-RapidEnvironment
        $server = Start-RapidMockServer
        $closedPort = Get-ClosedPort
        $failing = [RapidTestHelpers.CannedHttpServer]::new(500, 'application/json', '{"detail":"boom"}')
        $notJson = [RapidTestHelpers.CannedHttpServer]::new(200, 'text/html', '<html>login</html>')
        $silent = [RapidTestHelpers.SilentTcpServer]::new()
    }
    AfterAll {
        $server | Stop-RapidMockServer
        $failing.Dispose()
        $notJson.Dispose()
        $silent.Dispose()
        Restore-RapidEnvironment $savedEnvironment
    }

    It 'fetches a real test user from the mock''s /auth/test-user' {
        $t = Get-RapidTestToken -AuthServiceUrl $server.BaseUrl -WarningVariable warnings
        $warnings | Should -HaveCount 0
        $t | Should -BeOfType ([RapidMessageTools.TestEnvironment.RapidTestToken])
        $t.Source | Should -Be 'Real'
        $t.UserId | Should -BeLike 'test-user-*'
        $t.Email | Should -Match '^test-[0-9a-f]{8}@example\.com$'
        $t.Token.Split('.') | Should -HaveCount 3
        $t.ExpiresAt | Should -BeGreaterThan ([DateTime]::UtcNow)
        $t.ExpiresAt.Kind | Should -Be 'Utc'
    }

    It 'accepts the full test-user URL and an -Email' {
        $t = Get-RapidTestToken -AuthServiceUrl $server.AuthUrl -Email 'someone@example.com'
        $t.Source | Should -Be 'Real'
        $t.Email | Should -Be 'someone@example.com'
    }

    It 'in mock mode with no URL configured, fetches from the mock running in this session' {
        $t = Get-RapidTestToken
        $t.Source | Should -Be 'Real'
        $t.AuthServiceUrl | Should -Be $server.BaseUrl
    }

    It 'never shows the token in verbose output or in ToString()' {
        $out = Get-RapidTestToken -AuthServiceUrl $server.BaseUrl -Verbose -Debug 4>&1 5>&1
        $t = $out | Where-Object { $_ -is [RapidMessageTools.TestEnvironment.RapidTestToken] }
        $messages = ($out | Where-Object { $_ -is [System.Management.Automation.InformationalRecord] }).Message -join "`n"
        $messages | Should -Not -BeNullOrEmpty
        $messages.Contains($t.Token) | Should -BeFalse
        "$t".Contains($t.Token) | Should -BeFalse
        ($t | Format-List | Out-String).Contains($t.Token) | Should -BeFalse
        ($t | Format-Table | Out-String).Contains($t.Token) | Should -BeFalse
    }

    It 'falls back to a mock token with a warning when the auth service is unreachable' {
        $t = Get-RapidTestToken -AuthServiceUrl "http://127.0.0.1:$closedPort" -WarningVariable warnings -WarningAction SilentlyContinue
        $warnings | Should -HaveCount 1
        $t.Source | Should -Be 'Mock'
        $t.UserId | Should -Match '^test-user-[0-9a-f]{8}$'
        $t.FallbackReason | Should -Not -BeNullOrEmpty
        "$($warnings[0])".Contains($t.Token) | Should -BeFalse
    }

    It 'makes a mock token whose subject a mock without -RequireAuth honours' {
        $t = Get-RapidTestToken -AuthServiceUrl "http://127.0.0.1:$closedPort" -WarningAction SilentlyContinue
        $socket = Connect-TestWebSocket -Url $server.Url -Token $t.Token
        try {
            $state = Invoke-TestWebSocketRequest -Socket $socket -Frame '{"type":"get_agent_state"}'
            $state.user_id | Should -Be $t.UserId
        }
        finally { Close-TestWebSocket $socket }
    }

    It 'falls back with a warning when the auth service answers 500' {
        $t = Get-RapidTestToken -AuthServiceUrl $failing.BaseUrl -WarningVariable warnings -WarningAction SilentlyContinue
        $warnings | Should -HaveCount 1
        $t.Source | Should -Be 'Mock'
        $failing.Requests | Should -BeGreaterThan 0
    }

    It 'with -NoFallback stops with <ErrorId> (<Category>) for <Case>' -ForEach @(
        @{ Case = 'a closed port'; Target = 'closed'; ErrorId = 'AuthServiceUnreachable'; Category = 'ConnectionError' }
        @{ Case = 'HTTP 500'; Target = 'failing'; ErrorId = 'AuthServiceError'; Category = 'ResourceUnavailable' }
        @{ Case = '200 without JSON'; Target = 'notJson'; ErrorId = 'AuthServiceInvalidResponse'; Category = 'InvalidResult' }
        @{ Case = 'an unresolvable host'; Target = 'dns'; ErrorId = 'AuthServiceUnreachable'; Category = 'ConnectionError' }
    ) {
        $url = switch ($Target) {
            'closed' { "http://127.0.0.1:$closedPort" }
            'failing' { $failing.BaseUrl }
            'notJson' { $notJson.BaseUrl }
            'dns' { 'http://no-such-host.invalid' }
        }
        $err = { Get-RapidTestToken -AuthServiceUrl $url -NoFallback -TimeoutSec 3 } | Should -Throw -ErrorId "$ErrorId,RapidMessageTools.Commands.GetRapidTestTokenCommand" -PassThru
        $err.CategoryInfo.Category | Should -Be $Category
        $err.TargetObject | Should -Be $url
    }

    It 'with -NoFallback stops with AuthServiceTimeout within the timeout when the service hangs' {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        { Get-RapidTestToken -AuthServiceUrl $silent.BaseUrl -NoFallback -TimeoutSec 1 } | Should -Throw -ErrorId 'AuthServiceTimeout,RapidMessageTools.Commands.GetRapidTestTokenCommand'
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 2.5
    }

    It 'round-trips through Export-Clixml' {
        $t = Get-RapidTestToken -AuthServiceUrl $server.BaseUrl
        $path = Join-Path $TestDrive 'token.clixml'
        $t | Export-Clixml -Path $path
        $back = Import-Clixml -Path $path
        $back.UserId | Should -Be $t.UserId
        $back.Source | Should -Be 'Real'
        $back.ExpiresAt | Should -Be $t.ExpiresAt
    }
}

Describe 'Test-RapidEnvironment -TraceFile' -Tag 'Integration' {
    BeforeAll {
        Import-Module RapidMessageTools -Force
        $server = Start-RapidMockServer
    }
    AfterAll {
        $server | Stop-RapidMockServer
    }

    It 'writes one line per probed service' {
        $trace = Join-Path $TestDrive 'probe.log'
        $null = Test-RapidEnvironment -Url $server.Url -TraceFile $trace
        $lines = Get-Content $trace
        @($lines | Where-Object { $_ -match ' \* probe ' }).Count | Should -Be 3
        ($lines -join "`n") | Should -Match 'WebSocket'
    }

    It 'stops with TraceFileUnwritable for a path it cannot write' {
        $bad = Join-Path $TestDrive 'no-such-dir/x/probe.log'
        { Test-RapidEnvironment -Url $server.Url -TraceFile $bad -ErrorAction Stop } | Should -Throw -ErrorId 'TraceFileUnwritable*'
    }
}
