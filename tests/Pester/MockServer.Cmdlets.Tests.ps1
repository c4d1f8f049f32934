# The mock's cmdlets: Start-, Get- and Stop-RapidMockServer (options, -WhatIf, -All, -SetEnvironment,
# refused options and ports), and every server stopped when the module is removed.
# Every server is on port 0, loopback, and stopped in AfterAll; every network wait has a timeout
# (Support/WsTestClient.ps1).
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
param()

# The module, fresh, and the WebSocket test client with the checks these files share.
BeforeAll { . (Join-Path $PSScriptRoot 'Support/MockServerChecks.ps1') }
AfterAll { Clear-WsTestClient }

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
