BeforeAll {
    Import-Module RapidMessageTools -Force
}

Describe 'MultiUser: users who stay, ramped in' -Tag 'Integration' {
    BeforeAll {
        $script:server = Start-RapidMockServer
        $script:dropping = Start-RapidMockServer -Fault @{ DropReplies = 0.2; Seed = 3 }
    }
    AfterAll { $script:server, $script:dropping | Stop-RapidMockServer }

    It 'ramps 50 users in, each sending from its own start for -Duration, and accounts for every message' {
        # Latency is not what this checks (the machine may be busy): a generous limit keeps it out of the verdict.
        $r = Invoke-RapidScenario MultiUser -Url $server.Url -Users 50 -ConnectRate 50 -ThinkTime 0.5 -Duration 2 -Arrival Poisson -Seed 11 -MaxLatency 60 -TimeoutSec 30
        $r.Outcome | Should -Be 'Passed' -Because ($r.Violations -join '; ')
        $r.Parameters.ConnectRate | Should -Be 50
        $r.Parameters.Rate | Should -Be 100 -Because '50 users / 0.5 s think time'
        $r.Sent | Should -BeGreaterThan 100
        $r.Delivered | Should -Be $r.Sent
        $r.Lost | Should -Be 0
        ($r.Timeline.Connections | Measure-Object -Maximum).Maximum | Should -Be 50
        $r.Latency.Count | Should -Be $r.Sent
    }

    It 'with a constant think time, each user sends Duration / ThinkTime messages' {
        $r = Invoke-RapidScenario MultiUser -Url $server.Url -Users 20 -ConnectRate 100 -ThinkTime 0.25 -Duration 1 -MaxLatency 60 -TimeoutSec 30
        $r.Sent | Should -Be 80 -Because '20 users x (1 s / 0.25 s)'
        $r.Delivered | Should -Be 80
    }

    It 'ramps users in for back-to-back messages too' {
        $r = Invoke-RapidScenario MultiUser -Url $server.Url -Users 30 -ConnectRate 200 -MessageCount 20 -MaxLatency 60
        $r.Outcome | Should -Be 'Passed' -Because ($r.Violations -join '; ')
        $r.Sent | Should -Be 600
        $r.Delivered | Should -Be 600
    }

    It 'fails naming the lost messages when the backend drops replies' {
        $r = Invoke-RapidScenario MultiUser -Url $dropping.Url -Users 20 -ConnectRate 100 -ThinkTime 0.2 -Duration 1 -MaxLatency 60 -TimeoutSec 2
        $r.Outcome | Should -Be 'Failed'
        $r.Violations.Code | Should -Contain 'MissingReply'
        $r.Lost | Should -BeGreaterThan 0
        ($r.Delivered + $r.Lost) | Should -Be $r.Sent
    }

    It 'counts each user''s answers from the ledger (no id kept per user) and still matches them against agent_state' {
        $r = Invoke-RapidScenario MultiUser -Url $server.Url -Users 5 -MessageCount 40 -MaxLatency 60
        $r.Outcome | Should -Be 'Passed' -Because ($r.Violations -join '; ')
        $r.Delivered | Should -Be 200
    }
}

Describe 'Users and think time: bad combinations' -Tag 'Unit' {
    BeforeAll { $script:server = Start-RapidMockServer }
    AfterAll { $script:server | Stop-RapidMockServer }

    It 'refuses <Case>' -ForEach @(
        @{ Case = '-ThinkTime on a scenario without users'; Splat = @{ Name = 'Sequential'; ThinkTime = 1 } }
        @{ Case = '-ConnectRate on a scenario without users'; Splat = @{ Name = 'Benchmark'; ConnectRate = 10 } }
        @{ Case = '-ThinkTime with -Rate'; Splat = @{ Name = 'MultiUser'; ThinkTime = 1; Rate = 10 } }
        @{ Case = '-ConnectRate with -Stage'; Splat = @{ Name = 'MultiUser'; ConnectRate = 10; Stage = @(@{ Duration = 1; Rate = 10 }) } }
    ) {
        { Invoke-RapidScenario -Url $server.Url @Splat } | Should -Throw -ErrorId 'InvalidScenarioParameter*'
    }
}

Describe 'ConnectionBudget: the file descriptor limit before a run' -Tag 'Unit' {
    It 'lets a run through when its connections fit' {
        [RapidMessageTools.Client.ConnectionBudget]::Check(1000, 1, 20000, 100) | Should -BeNullOrEmpty
    }

    It 'says how many fit and what to do when they do not' {
        $why = [RapidMessageTools.Client.ConnectionBudget]::Check(25000, 1, 20000, 136)
        $why | Should -Match '19800 more connections fit'
        $why | Should -Match 'ulimit -n'
    }

    It 'counts two descriptors a connection when the server is in the same process' {
        [RapidMessageTools.Client.ConnectionBudget]::Check(9000, 1, 20000, 100) | Should -BeNullOrEmpty
        [RapidMessageTools.Client.ConnectionBudget]::Check(10000, 2, 20000, 100) | Should -Match '9918 more connections fit'
    }

    It 'does not guess where the limit cannot be read' {
        [RapidMessageTools.Client.ConnectionBudget]::Check(1000000, 1, $null, $null) | Should -BeNullOrEmpty
    }

    It 'reads this process''s limit' -Skip:$IsWindows {
        [RapidMessageTools.Client.ConnectionBudget]::FileLimit() | Should -BeGreaterThan 0
        [RapidMessageTools.Client.ConnectionBudget]::OpenFiles() | Should -BeGreaterThan 0
    }
}

Describe 'More users than the process may open' -Tag 'Integration' {
    It 'stops with ConnectionLimit before connecting, not part way through' -Skip:($IsWindows -or -not (Get-Command bash -ErrorAction SilentlyContinue)) {
        $module = (Get-Module RapidMessageTools).Path
        $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$module'
`$s = Start-RapidMockServer
try {
    Invoke-RapidScenario MultiUser -Url `$s.Url -Users 2000 -MessageCount 1
    'NO ERROR'
}
catch { 'ERRORID ' + `$_.FullyQualifiedErrorId; 'CONNECTED ' + `$s.Stats.ConnectionsTotal }
finally { `$s | Stop-RapidMockServer }
"@
        $file = Join-Path ([IO.Path]::GetTempPath()) ("ulimit-" + [guid]::NewGuid().ToString('N') + ".ps1")
        Set-Content -Path $file -Value $script
        try {
            $out = & bash -c "ulimit -n 1024 && dotnet pwsh -NoProfile -NonInteractive -File '$file'" 2>&1
        }
        finally { Remove-Item $file -ErrorAction SilentlyContinue }
        ($out -join "`n") | Should -Match 'ERRORID ConnectionLimit'
        ($out -join "`n") | Should -Match 'CONNECTED 0'
    }
}
