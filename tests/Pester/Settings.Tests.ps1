[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSReviewUnusedParameter', '', Justification = 'scriptblocks take the parameters their callers pass; closures read them where the rule does not look')]
param()

BeforeDiscovery {
    # Unparsable environment values: each gives a warning naming the variable, and the default stands.
    $badValues = @(
        @{ Variable = 'E2E_WEBSOCKET_URL'; Value = 'not a url'; Property = 'WebSocketUrl'; Default = 'ws://localhost:8000/ws' }
        @{ Variable = 'E2E_WEBSOCKET_URL'; Value = 'ftp://localhost:8000/ws'; Property = 'WebSocketUrl'; Default = 'ws://localhost:8000/ws' }
        @{ Variable = 'E2E_BACKEND_URL'; Value = 'localhost:8000'; Property = 'BackendUrl'; Default = 'http://localhost:8000' }
        @{ Variable = 'E2E_AUTH_SERVICE_URL'; Value = 'ftp://auth'; Property = 'AuthServiceUrl'; Default = 'http://localhost:8001' }
        @{ Variable = 'RAPID_MESSAGE_TEST_MODE'; Value = 'foo'; Property = 'Mode'; Default = 'mock' }
        @{ Variable = 'SKIP_REAL_SERVICES'; Value = 'maybe'; Property = 'SkipRealServices'; Default = $false }
    )
}

BeforeAll {
    Import-Module RapidMessageTools -Force
    . (Join-Path $PSScriptRoot 'Support/TestServers.ps1')

    # Resolves settings from a hashtable standing in for the environment (the core's injected reader).
    function Resolve-TestSettings {
        [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseSingularNouns', '', Justification = 'named for RapidSettings, the object it resolves')]
        param([hashtable] $Environment = @{}, [hashtable] $Explicit = @{})
        $explicitValues = [RapidMessageTools.TestEnvironment.RapidSettingsInput] $Explicit
        $warnings = $null
        $reader = [Func[string, string]] { param($name) $Environment[$name] }.GetNewClosure()
        $settings = [RapidMessageTools.TestEnvironment.RapidSettings]::Resolve($explicitValues, $reader, [ref] $warnings)
        [pscustomobject]@{ Settings = $settings; Warnings = @($warnings) }
    }
}

Describe 'RapidSettings.Resolve' -Tag 'Unit' {
    It 'uses the defaults when nothing is set, and says so' {
        $r = Resolve-TestSettings
        $r.Warnings | Should -HaveCount 0
        $s = $r.Settings
        $s.WebSocketUrl | Should -Be 'ws://localhost:8000/ws'
        $s.BackendUrl | Should -Be 'http://localhost:8000'
        $s.AuthServiceUrl | Should -Be 'http://localhost:8001'
        $s.Mode | Should -Be 'mock'
        $s.SkipRealServices | Should -BeFalse
        foreach ($name in 'WebSocketUrl', 'BackendUrl', 'AuthServiceUrl', 'Mode', 'SkipRealServices') {
            $s.Sources[$name] | Should -Be 'Default' -Because $name
        }
        $s.IsWebSocketUrlConfigured | Should -BeFalse
    }

    It 'takes environment variables over defaults' {
        $s = (Resolve-TestSettings -Environment @{
                E2E_WEBSOCKET_URL             = 'wss://chat.example.test/ws'
                E2E_BACKEND_URL               = 'https://api.example.test/'
                E2E_AUTH_SERVICE_URL          = 'https://auth.example.test'
                RAPID_MESSAGE_TEST_MODE       = 'REAL'
            }).Settings
        $s.WebSocketUrl | Should -Be 'wss://chat.example.test/ws'
        $s.BackendUrl | Should -Be 'https://api.example.test'
        $s.AuthServiceUrl | Should -Be 'https://auth.example.test'
        $s.Mode | Should -Be 'real'
        $s.WebSocketUrlSource | Should -Be 'Environment'
        $s.ModeSource | Should -Be 'Environment'
        $s.Sources['BackendUrl'] | Should -Be 'Environment'
    }

    It 'takes explicit values over environment variables' {
        $s = (Resolve-TestSettings -Environment @{ E2E_WEBSOCKET_URL = 'ws://env.example.test/ws'; RAPID_MESSAGE_TEST_MODE = 'real' } `
                -Explicit @{ WebSocketUrl = 'ws://param.example.test/ws'; Mode = 'Mock' }).Settings
        $s.WebSocketUrl | Should -Be 'ws://param.example.test/ws'
        $s.WebSocketUrlSource | Should -Be 'Parameter'
        $s.Mode | Should -Be 'mock'
        $s.ModeSource | Should -Be 'Parameter'
    }

    It 'in mock mode derives the backend and auth URLs from a configured WebSocket URL (the mock serves all three on one port)' {
        $s = (Resolve-TestSettings -Environment @{ E2E_WEBSOCKET_URL = 'ws://127.0.0.1:5555/ws' }).Settings
        $s.BackendUrl | Should -Be 'http://127.0.0.1:5555'
        $s.AuthServiceUrl | Should -Be 'http://127.0.0.1:5555'
        $s.BackendUrlSource | Should -Be 'Derived'
    }

    It 'in real mode keeps the default backend and auth URLs' {
        $s = (Resolve-TestSettings -Environment @{ E2E_WEBSOCKET_URL = 'ws://127.0.0.1:5555/ws'; RAPID_MESSAGE_TEST_MODE = 'real' }).Settings
        $s.BackendUrl | Should -Be 'http://localhost:8000'
        $s.BackendUrlSource | Should -Be 'Default'
    }

    It 'lets SKIP_REAL_SERVICES=true force mock mode over RAPID_MESSAGE_TEST_MODE' {
        $r = Resolve-TestSettings -Environment @{ RAPID_MESSAGE_TEST_MODE = 'real'; SKIP_REAL_SERVICES = 'TRUE' }
        $r.Settings.Mode | Should -Be 'mock'
        $r.Settings.SkipRealServices | Should -BeTrue
        $r.Settings.ModeSource | Should -Be 'Environment'
        $r.Warnings | Should -HaveCount 0
    }

    It 'lets an explicit mode win over SKIP_REAL_SERVICES=true, with a warning naming the variable' {
        $r = Resolve-TestSettings -Environment @{ SKIP_REAL_SERVICES = 'true' } -Explicit @{ Mode = 'real' }
        $r.Settings.Mode | Should -Be 'real'
        $r.Warnings | Should -HaveCount 1
        $r.Warnings[0] | Should -BeLike '*SKIP_REAL_SERVICES*'
    }

    It 'warns about <Variable>=<Value>, naming the variable and the value, and keeps the default' -ForEach $badValues {
        $r = Resolve-TestSettings -Environment @{ $Variable = $Value }
        $r.Warnings | Should -HaveCount 1
        $r.Warnings[0] | Should -BeLike "*$Variable*"
        $r.Warnings[0] | Should -BeLike "*$Value*"
        $r.Settings.$Property | Should -Be $Default
        $r.Settings.Sources[$Property] | Should -Be 'Default'
    }

    It 'treats an empty environment variable as unset' {
        $r = Resolve-TestSettings -Environment @{ E2E_WEBSOCKET_URL = '  '; RAPID_TEST_MAX_LATENCY = '' }
        $r.Warnings | Should -HaveCount 0
        $r.Settings.WebSocketUrlSource | Should -Be 'Default'
    }

    It 'rejects an invalid explicit value with an ArgumentException naming the parameter' {
        foreach ($case in @{ WebSocketUrl = 'ftp://localhost:8000/ws' }, @{ Mode = 'foo' }) {
            $err = { Resolve-TestSettings -Explicit $case } | Should -Throw -PassThru
            $err.Exception.InnerException | Should -BeOfType ([ArgumentException])
            $err.Exception.InnerException.ParamName | Should -Be @($case.Keys)[0]
        }
    }

    It 'replaces only unconfigured URLs with a session mock''s' {
        $s = (Resolve-TestSettings -Environment @{ E2E_BACKEND_URL = 'http://backend.example.test' }).Settings
        $m = $s.WithMockServer('ws://127.0.0.1:4444/ws', 'http://127.0.0.1:4444')
        $m.WebSocketUrl | Should -Be 'ws://127.0.0.1:4444/ws'
        $m.WebSocketUrlSource | Should -Be 'MockServer'
        $m.BackendUrl | Should -Be 'http://backend.example.test'
        $m.BackendUrlSource | Should -Be 'Environment'
        $m.AuthServiceUrlSource | Should -Be 'MockServer'
    }

    It 'round-trips through Export-Clixml and ConvertTo-Json' {
        $s = (Resolve-TestSettings -Environment @{ E2E_WEBSOCKET_URL = 'ws://127.0.0.1:5555/ws' }).Settings
        $path = Join-Path $TestDrive 'settings.clixml'
        $s | Export-Clixml -Path $path
        $back = Import-Clixml -Path $path
        $back.WebSocketUrl | Should -Be $s.WebSocketUrl
        $back.Mode | Should -Be 'mock'
        $back.WebSocketUrlSource | Should -Be 'Environment'
        $back.Sources['BackendUrl'] | Should -Be 'Derived'

        $json = $s | ConvertTo-Json -Depth 4 | ConvertFrom-Json
        $json.WebSocketUrl | Should -Be $s.WebSocketUrl
        $json.Sources.AuthServiceUrl | Should -Be 'Derived'
    }
}

Describe 'Settings precedence through the cmdlets' -Tag 'Integration' {
    BeforeAll {
        $server = Start-RapidMockServer
        $closed = Get-ClosedPort
    }
    AfterAll {
        $server | Stop-RapidMockServer
    }
    BeforeEach {
        $savedEnvironment = Save-RapidEnvironment
    }
    AfterEach {
        Restore-RapidEnvironment $savedEnvironment
    }

    It 'a parameter beats the environment variable' {
        $env:E2E_WEBSOCKET_URL = "ws://127.0.0.1:$closed/ws"
        $r = Test-RapidEnvironment -Url $server.Url -TimeoutSec 2
        $r.Settings.WebSocketUrl | Should -Be $server.Url
        $r.Settings.WebSocketUrlSource | Should -Be 'Parameter'
        $r.IsReady | Should -BeTrue
    }

    It 'the environment variable beats the session mock and the default' {
        $env:E2E_WEBSOCKET_URL = "ws://127.0.0.1:$closed/ws"
        $r = Test-RapidEnvironment -TimeoutSec 2
        $r.Settings.WebSocketUrl | Should -Be "ws://127.0.0.1:$closed/ws"
        $r.Settings.WebSocketUrlSource | Should -Be 'Environment'
        $r.IsReady | Should -BeFalse
    }

    It 'writes a warning naming a bad variable, and the default stands' {
        $env:RAPID_MESSAGE_TEST_MODE = 'foo'
        $r = Test-RapidEnvironment -Url $server.Url -TimeoutSec 2 -WarningVariable warnings -WarningAction SilentlyContinue
        $warnings | Should -HaveCount 1
        "$($warnings[0])" | Should -BeLike '*RAPID_MESSAGE_TEST_MODE*'
        $r.Mode | Should -Be 'mock'
        $r.Settings.ModeSource | Should -Be 'Default'
    }

    It 'stops with InvalidSettingValue on an invalid -Url, naming -Url rather than the setting behind it' {
        { Test-RapidEnvironment -Url 'http://127.0.0.1/ws' } | Should -Throw -ErrorId 'InvalidSettingValue,RapidMessageTools.Commands.TestRapidEnvironmentCommand'
        $err = { Invoke-RapidScenario Sequential -Url 'http://127.0.0.1/ws' } | Should -Throw -ErrorId 'InvalidSettingValue,RapidMessageTools.Commands.InvokeRapidScenarioCommand' -PassThru
        $err.Exception.Message | Should -BeLike '-Url must be*'
        $err.Exception.Message | Should -Not -BeLike '*WebSocketUrl*'
        $err.TargetObject | Should -Be 'Url'
        { Get-RapidTestToken -AuthServiceUrl 'not a url' } | Should -Throw -ErrorId 'InvalidSettingValue,RapidMessageTools.Commands.GetRapidTestTokenCommand'
    }

    It 'Get-RapidTestToken: -AuthServiceUrl beats E2E_AUTH_SERVICE_URL' {
        $env:E2E_AUTH_SERVICE_URL = "http://127.0.0.1:$closed"
        $t = Get-RapidTestToken -AuthServiceUrl $server.BaseUrl
        $t.Source | Should -Be 'Real'
        $t.AuthServiceUrl | Should -Be $server.BaseUrl
    }

    It 'Get-RapidTestToken: E2E_AUTH_SERVICE_URL beats the session mock' {
        $env:E2E_AUTH_SERVICE_URL = "http://127.0.0.1:$closed"
        $t = Get-RapidTestToken -TimeoutSec 2 -WarningAction SilentlyContinue
        $t.Source | Should -Be 'Mock'
        $t.AuthServiceUrl | Should -Be "http://127.0.0.1:$closed"
    }
}
