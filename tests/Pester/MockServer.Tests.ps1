BeforeAll {
    Import-Module RapidMessageTools -Force
}

Describe 'Start-RapidMockServer' -Tag 'Integration' {
    BeforeAll {
        $server = Start-RapidMockServer
    }
    AfterAll {
        $server | Stop-RapidMockServer
    }

    It 'listens on loopback on a free port and answers /health' {
        $server.Port | Should -BeGreaterThan 0
        $server.Url | Should -Be "ws://127.0.0.1:$($server.Port)/ws"
        $health = Invoke-RestMethod $server.HealthUrl
        $health.status | Should -Be 'ok'
    }
}
