# After abuse and load, the mock returns to its baseline: no connection, no handler left running,
# threads back near where they were, and memory bounded (idempotency window, queues, buffers).
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
param()

Describe 'The mock stays bounded' -Tag 'Integration', 'Abuse' {
    BeforeAll {
        Import-Module RapidMessageTools -Force
        $server = Start-RapidMockServer
        function Wait-Until([scriptblock] $Condition, [int] $TimeoutSec = 10) {
            $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
            while (-not (& $Condition) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        }
        function Get-ThreadCount { [Diagnostics.Process]::GetCurrentProcess().Refresh(); [Diagnostics.Process]::GetCurrentProcess().Threads.Count }
    }
    AfterAll {
        $server | Stop-RapidMockServer
    }

    It 'returns to no connections and no running handlers after 300 connect/disconnect cycles and load from 50 users' {
        [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
        $memoryBefore = [GC]::GetTotalMemory($true)
        $threadsBefore = Get-ThreadCount
        foreach ($i in 1..300) {
            $ws = [System.Net.WebSockets.ClientWebSocket]::new()
            $ws.ConnectAsync([uri]"$($server.Url)?user_id=cycle$i", [Threading.CancellationToken]::None).Wait(5000) | Should -BeTrue
            if ($i % 2) { $ws.Abort() } else { $ws.CloseAsync('NormalClosure', 'bye', [Threading.CancellationToken]::None).Wait(2000) | Out-Null }
            $ws.Dispose()
        }
        $r = Invoke-RapidScenario MultiUser -Url $server.Url -Users 50 -MessageCount 200
        $r.Passed | Should -BeTrue -Because ($r.Violations -join '; ')

        Wait-Until { $server.Stats.ConnectionsOpen -eq 0 -and $server.Stats.ActiveHandlers -eq 0 }
        $server.Stats.ConnectionsOpen | Should -Be 0
        $server.Stats.ActiveHandlers | Should -Be 0
        $server.Stats.Queued | Should -Be 0

        # Thread-pool threads retire after ~20 s idle; the bound is what a leak per connection would blow.
        Wait-Until { (Get-ThreadCount) -le $threadsBefore + 16 } -TimeoutSec 30
        (Get-ThreadCount) | Should -BeLessOrEqual ($threadsBefore + 16)

        # 10,000 messages from 50 users are remembered for idempotency; the rest of the run must be gone.
        [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
        ([GC]::GetTotalMemory($true) - $memoryBefore) | Should -BeLessThan 64MB
    }

    It 'frees every handler once stopped' {
        $other = Start-RapidMockServer
        $ws = [System.Net.WebSockets.ClientWebSocket]::new()
        $ws.ConnectAsync([uri]$other.Url, [Threading.CancellationToken]::None).Wait(5000) | Should -BeTrue
        $other | Stop-RapidMockServer
        Wait-Until { $other.Stats.ActiveHandlers -eq 0 }
        $other.Stats.ActiveHandlers | Should -Be 0
        $other.Stats.ConnectionsOpen | Should -Be 0
        $ws.Dispose()
    }
}
