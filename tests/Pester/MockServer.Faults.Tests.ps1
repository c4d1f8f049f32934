# Every fault the mock can inject (-Fault) is observable from a client.
# Every server is on port 0, loopback, and stopped in AfterAll; every network wait has a timeout
# (Support/WsTestClient.ps1).
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
param()

# The module, fresh, and the WebSocket test client with the checks these files share.
BeforeAll { . (Join-Path $PSScriptRoot 'Support/MockServerChecks.ps1') }
AfterAll { Clear-WsTestClient }

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
