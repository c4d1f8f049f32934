# The mock's streamed replies, from outside: ai_response_chunk frames then a final ai_response with
# chunk_count, cancel, replays, FIFO between streams, and every stream fault. Loopback, port 0, every
# server stopped in AfterAll, every wait bounded (Support/WsTestClient.ps1).

[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'test helpers (New-*) make test objects; -WhatIf has no meaning in a test')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSReviewUnusedParameter', '', Justification = 'the -Until scriptblock reads the parameter, where the rule does not look')]
param()

BeforeAll {
    Import-Module RapidMessageTools -Force
    . (Join-Path $PSScriptRoot 'Support/WsTestClient.ps1')

    function New-TestId([string] $Prefix = 'u') { $Prefix + '-' + [guid]::NewGuid().ToString('N').Substring(0, 12) }

    function New-StreamClient($Server) { New-WsTestClient $Server.Url -Query @{ user_id = (New-TestId) } }

    # Frames up to and including the final ai_response of $MessageId (or what came within the timeout).
    function Receive-Stream {
        param($Client, [string] $MessageId, [double] $TimeoutSec = 5)
        Receive-WsJson $Client -Count 100000 -TimeoutSec $TimeoutSec -Until { $_.type -eq 'ai_response' -and $_.message_id -eq $MessageId }
    }

    # agent_state of $AgentId (frames that arrive meanwhile are discarded).
    function Get-WsState($Client, [string] $AgentId) {
        $q = [ordered]@{ type = 'get_agent_state'; request_id = (New-TestId 'r'); agent_id = $AgentId }
        Send-WsJson $Client $q
        Receive-WsJson $Client -Count 100000 -TimeoutSec 3 -Until { $_.type -eq 'agent_state' } | Where-Object type -EQ 'agent_state'
    }

    function Get-Chunk($Frames, [string] $MessageId) { @($Frames | Where-Object { $_.type -eq 'ai_response_chunk' -and $_.message_id -eq $MessageId }) }
    function Get-Final($Frames, [string] $MessageId) { @($Frames | Where-Object { $_.type -eq 'ai_response' -and $_.message_id -eq $MessageId }) }
}

AfterAll {
    Clear-WsTestClient
}

Describe 'Streamed replies' -Tag 'Integration' {
    BeforeAll {
        $server = Start-RapidMockServer -StreamChunks 4
        $slow = Start-RapidMockServer -StreamChunks 10 -ChunkInterval 0.05
        $queued = Start-RapidMockServer -StreamChunks 3 -ResponseDelay 0.3
        $plain = Start-RapidMockServer -ResponseDelay 0.3
    }
    AfterAll {
        $server, $slow, $queued, $plain | Stop-RapidMockServer
    }

    It 'sends N chunks in order, then a final whose content is the chunks joined and chunk_count is N' {
        $c = New-StreamClient $server
        Send-WsUserMessage $c -MessageId 's-1' -SequenceId 1 -Content 'tell me a story' -AgentId 'a'
        $frames = @(Receive-Stream $c 's-1')
        $chunks = Get-Chunk $frames 's-1'
        $chunks.chunk_index | Should -Be @(0, 1, 2, 3)
        $chunks | ForEach-Object { $_.sequence_id | Should -Be 1; $_.agent_id | Should -Be 'a'; $_.content | Should -Not -BeNullOrEmpty }
        $final = $frames[-1]
        $final.type | Should -Be 'ai_response'
        $final.chunk_count | Should -Be 4
        $final.content | Should -Be 'AI response to: tell me a story'
        ($chunks.content -join '') | Should -Be $final.content
        $final.PSObject.Properties.Name | Should -Not -Contain 'cancelled'
        @(Receive-WsJson $c -Count 1 -TimeoutSec 0.3).Count | Should -Be 0 -Because 'nothing of a message follows its final frame'
        $server.Stats.ChunksSent | Should -BeGreaterOrEqual 4
    }

    It 'never splits a surrogate pair between chunks' {
        $c = New-StreamClient $server
        $text = 'ab' + [char]::ConvertFromUtf32(0x1F600) + 'c' + [char]::ConvertFromUtf32(0x1F680)
        Send-WsUserMessage $c -MessageId 'sp-1' -SequenceId 1 -Content $text
        $frames = @(Receive-Stream $c 'sp-1')
        $chunks = Get-Chunk $frames 'sp-1'
        ($chunks.content -join '') | Should -Be ('AI response to: ' + $text)
        foreach ($chunk in $chunks) {
            if ($chunk.content.Length -gt 0) {
                [char]::IsHighSurrogate($chunk.content[-1]) | Should -BeFalse
                [char]::IsLowSurrogate($chunk.content[0]) | Should -BeFalse
            }
        }
    }

    It 'ends the stream of one message before the next one on the same agent begins' {
        $c = New-StreamClient $server
        foreach ($i in 1..3) { Send-WsUserMessage $c -MessageId "f-$i" -SequenceId $i -AgentId 'fifo' }
        $frames = @(Receive-Stream $c 'f-3')
        $order = @($frames | ForEach-Object { $_.message_id })
        $lastOf1 = [array]::LastIndexOf($order, 'f-1'); $firstOf2 = [array]::IndexOf($order, 'f-2')
        $lastOf2 = [array]::LastIndexOf($order, 'f-2'); $firstOf3 = [array]::IndexOf($order, 'f-3')
        $lastOf1 | Should -BeLessThan $firstOf2
        $lastOf2 | Should -BeLessThan $firstOf3
        $frames[$lastOf1].type | Should -Be 'ai_response'
    }

    It 'starts the stream of a message that came while its agent was idle one full delay after it arrived' {
        $c = New-StreamClient $queued
        $m = Measure-WsIdleAnswer $c -ReadAnswer { param($id) Receive-Stream $c $id }
        $m.Frame.message_id | Should -Be 'idle-2'
        $m.Seconds | Should -BeGreaterOrEqual 0.295 -Because 'a stream starts one ResponseDelay (0.3 s) after its message at the soonest'
    }

    It 'replays only the final frame, marked duplicate, for a repeated message_id' {
        $c = New-StreamClient $server
        Send-WsUserMessage $c -MessageId 'r-1' -SequenceId 1
        $first = @(Receive-Stream $c 'r-1')
        Send-WsUserMessage $c -MessageId 'r-1' -SequenceId 1
        $again = @(Receive-WsJson $c -Count 5 -TimeoutSec 1)
        $again.Count | Should -Be 1
        $again[0].type | Should -Be 'ai_response'
        $again[0].duplicate | Should -BeTrue
        $again[0].chunk_count | Should -Be 4
        $again[0].content | Should -Be $first[-1].content
    }

    It 'stops a stream on cancel: a final marked cancelled with the chunks sent so far, nothing after' {
        $c = New-StreamClient $slow
        Send-WsUserMessage $c -MessageId 'c-1' -SequenceId 1
        $early = @(Receive-WsJson $c -Count 2 -TimeoutSec 5)
        $early.Count | Should -Be 2
        Send-WsJson $c @{ type = 'cancel'; message_id = 'c-1' }
        $rest = @(Receive-Stream $c 'c-1')
        $frames = $early + $rest
        $chunks = Get-Chunk $frames 'c-1'
        $final = $frames[-1]
        $final.type | Should -Be 'ai_response'
        $final.cancelled | Should -BeTrue
        $final.chunk_count | Should -Be $chunks.Count
        $chunks.Count | Should -BeLessThan 10
        $final.content | Should -Be ($chunks.content -join '')
        @(Receive-WsJson $c -Count 1 -TimeoutSec 0.3).Count | Should -Be 0
        $slow.Stats.Cancels | Should -BeGreaterOrEqual 1
    }

    It 'drops a queued message on cancel with a cancelled final of no chunks, and serves the next' {
        $c = New-StreamClient $queued
        Send-WsUserMessage $c -MessageId 'q-1' -SequenceId 1 -AgentId 'q'
        Send-WsUserMessage $c -MessageId 'q-2' -SequenceId 2 -AgentId 'q'
        Send-WsJson $c @{ type = 'cancel'; message_id = 'q-2' }
        Send-WsUserMessage $c -MessageId 'q-3' -SequenceId 3 -AgentId 'q'
        $frames = @(Receive-Stream $c 'q-3' -TimeoutSec 5)
        (Get-Chunk $frames 'q-2').Count | Should -Be 0
        $final2 = Get-Final $frames 'q-2'
        $final2.cancelled | Should -BeTrue
        $final2.chunk_count | Should -Be 0
        $final2.content | Should -Be ''
        (Get-Final $frames 'q-1').chunk_count | Should -Be 3
        (Get-Final $frames 'q-3').chunk_count | Should -Be 3
        $state = @(Get-WsState $c 'q')
        $state.message_count | Should -Be 2 -Because 'a message dropped from the queue was never processed'
    }

    It 'cancels a queued message on a mock that does not stream, too' {
        $c = New-StreamClient $plain
        Send-WsUserMessage $c -MessageId 'p-1' -SequenceId 1
        Send-WsUserMessage $c -MessageId 'p-2' -SequenceId 2
        Send-WsJson $c @{ type = 'cancel'; message_id = 'p-2' }
        $frames = @(Receive-Stream $c 'p-2')
        (Get-Final $frames 'p-1').PSObject.Properties.Name | Should -Not -Contain 'chunk_count'
        (Get-Final $frames 'p-2').cancelled | Should -BeTrue
    }

    It 'answers cancel of a finished or unknown message with unknown_message, and cancel without message_id with invalid_message' {
        $c = New-StreamClient $server
        Send-WsUserMessage $c -MessageId 'done-1' -SequenceId 1
        $null = Receive-Stream $c 'done-1'
        Send-WsJson $c @{ type = 'cancel'; message_id = 'done-1' }
        Send-WsJson $c @{ type = 'cancel'; message_id = 'never-sent' }
        Send-WsJson $c @{ type = 'cancel' }
        $errors = @(Receive-WsJson $c -Count 3 -TimeoutSec 3)
        $errors.type | Should -Be @('error', 'error', 'error')
        $errors.code | Should -Be @('unknown_message', 'unknown_message', 'invalid_message')
        $errors[0].message_id | Should -Be 'done-1'
        $errors[1].message_id | Should -Be 'never-sent'
        Send-WsUserMessage $c -MessageId 'after-1' -SequenceId 2
        (Get-Final @(Receive-Stream $c 'after-1') 'after-1').Count | Should -Be 1 -Because 'the connection stays open and serves'
    }

    It 'refuses stream faults on a mock that does not stream, saying what to add' {
        { Start-RapidMockServer -Fault @{ DropChunk = 1 } -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidMockOption*'
        { Start-RapidMockServer -StreamChunks 2 -Fault @{ StallDelay = -1 } -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidMockOption*'
        { Start-RapidMockServer -StreamChunks -1 -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
    }
}

Describe 'Injected stream faults' -Tag 'Integration' {
    Context '<Name>' -ForEach @(
        @{
            Name = 'DropChunk = 1: one chunk index missing, the final still counts it'
            Fault = @{ DropChunk = 1; Seed = 4 }; Options = @{ StreamChunks = 5 }
            Observe = {
                param($Server)
                $c = New-StreamClient $Server
                Send-WsUserMessage $c -MessageId 'd-1' -SequenceId 1
                $frames = @(Receive-Stream $c 'd-1')
                $chunks = Get-Chunk $frames 'd-1'
                $chunks.Count | Should -Be 4
                $frames[-1].chunk_count | Should -Be 5
                $frames[-1].content | Should -Not -Be ($chunks.content -join '')
            }
        }
        @{
            Name = 'ReorderChunks = 1: two chunks swapped'
            Fault = @{ ReorderChunks = 1; Seed = 4 }; Options = @{ StreamChunks = 5 }
            Observe = {
                param($Server)
                $c = New-StreamClient $Server
                Send-WsUserMessage $c -MessageId 'o-1' -SequenceId 1
                $chunks = Get-Chunk @(Receive-Stream $c 'o-1') 'o-1'
                ($chunks.chunk_index | Sort-Object) | Should -Be @(0, 1, 2, 3, 4)
                ($chunks.chunk_index -join ',') | Should -Not -Be '0,1,2,3,4'
            }
        }
        @{
            Name = 'DuplicateChunk = 1: one chunk sent twice'
            Fault = @{ DuplicateChunk = 1; Seed = 4 }; Options = @{ StreamChunks = 5 }
            Observe = {
                param($Server)
                $c = New-StreamClient $Server
                Send-WsUserMessage $c -MessageId 'u-1' -SequenceId 1
                $chunks = Get-Chunk @(Receive-Stream $c 'u-1') 'u-1'
                $chunks.Count | Should -Be 6
                @($chunks.chunk_index | Sort-Object -Unique).Count | Should -Be 5
            }
        }
        @{
            Name = 'CutStream = 1: chunks, then no final'
            Fault = @{ CutStream = 1; Seed = 4 }; Options = @{ StreamChunks = 5 }
            Observe = {
                param($Server)
                $c = New-StreamClient $Server
                Send-WsUserMessage $c -MessageId 'x-1' -SequenceId 1
                $frames = @(Receive-Stream $c 'x-1' -TimeoutSec 1)
                (Get-Chunk $frames 'x-1').Count | Should -BeGreaterThan 0
                (Get-Final $frames 'x-1').Count | Should -Be 0
            }
        }
        @{
            Name = 'FinalMismatch = 1: the final disagrees with its chunks in content or chunk_count'
            Fault = @{ FinalMismatch = 1; Seed = 4 }; Options = @{ StreamChunks = 5 }
            Observe = {
                param($Server)
                $c = New-StreamClient $Server
                foreach ($i in 1..6) {
                    Send-WsUserMessage $c -MessageId "m-$i" -SequenceId $i
                    $frames = @(Receive-Stream $c "m-$i")
                    $chunks = Get-Chunk $frames "m-$i"
                    $chunks.Count | Should -Be 5
                    $final = $frames[-1]
                    (($final.content -ne ($chunks.content -join '')) -xor ($final.chunk_count -ne 5)) | Should -BeTrue
                }
            }
        }
        @{
            Name = 'StallStreams = 1: one gap of StallDelay'
            Fault = @{ StallStreams = 1; StallDelay = 0.5; Seed = 4 }; Options = @{ StreamChunks = 3 }
            Observe = {
                param($Server)
                $c = New-StreamClient $Server
                Send-WsUserMessage $c -MessageId 't-1' -SequenceId 1
                $clock = [Diagnostics.Stopwatch]::StartNew()
                $frames = @(Receive-Stream $c 't-1')
                $clock.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 0.45 -Because 'a stall is a lower bound on the stream time'
                (Get-Chunk $frames 't-1').Count | Should -Be 3
            }
        }
        @{
            Name = 'ChunksAfterFinal = 1: one more chunk after the final'
            Fault = @{ ChunksAfterFinal = 1; Seed = 4 }; Options = @{ StreamChunks = 3 }
            Observe = {
                param($Server)
                $c = New-StreamClient $Server
                Send-WsUserMessage $c -MessageId 'a-1' -SequenceId 1
                $null = Receive-Stream $c 'a-1'
                $after = @(Receive-WsJson $c -Count 1 -TimeoutSec 2)
                $after[0].type | Should -Be 'ai_response_chunk'
                $after[0].message_id | Should -Be 'a-1'
                $after[0].chunk_index | Should -Be 3
            }
        }
        @{
            Name = 'IgnoreCancel: the stream runs to an ordinary final, no error'
            Fault = @{ IgnoreCancel = $true }; Options = @{ StreamChunks = 8; ChunkInterval = 0.05 }
            Observe = {
                param($Server)
                $c = New-StreamClient $Server
                Send-WsUserMessage $c -MessageId 'i-1' -SequenceId 1
                $null = Receive-WsJson $c -Count 1 -TimeoutSec 5
                Send-WsJson $c @{ type = 'cancel'; message_id = 'i-1' }
                $frames = @(Receive-Stream $c 'i-1')
                $frames[-1].chunk_count | Should -Be 8
                $frames[-1].PSObject.Properties.Name | Should -Not -Contain 'cancelled'
                @($frames | Where-Object type -EQ 'error').Count | Should -Be 0
                @(Receive-WsJson $c -Count 1 -TimeoutSec 0.3).Count | Should -Be 0
            }
        }
        @{
            Name = 'CancelWithoutFinal: a cancelled stream stops with no final'
            Fault = @{ CancelWithoutFinal = $true }; Options = @{ StreamChunks = 20; ChunkInterval = 0.05 }
            Observe = {
                param($Server)
                $c = New-StreamClient $Server
                Send-WsUserMessage $c -MessageId 'w-1' -SequenceId 1
                $null = Receive-WsJson $c -Count 1 -TimeoutSec 5
                Send-WsJson $c @{ type = 'cancel'; message_id = 'w-1' }
                $frames = @(Receive-Stream $c 'w-1' -TimeoutSec 1.5)
                (Get-Final $frames 'w-1').Count | Should -Be 0
                (Get-Chunk $frames 'w-1').Count | Should -BeLessThan 19
            }
        }
        @{
            Name = 'CancelDropsNext: the message after a cancelled stream is never answered'
            Fault = @{ CancelDropsNext = $true }; Options = @{ StreamChunks = 10; ChunkInterval = 0.05 }
            Observe = {
                param($Server)
                $c = New-StreamClient $Server
                Send-WsUserMessage $c -MessageId 'n-1' -SequenceId 1
                $null = Receive-WsJson $c -Count 1 -TimeoutSec 5
                Send-WsJson $c @{ type = 'cancel'; message_id = 'n-1' }
                Send-WsUserMessage $c -MessageId 'n-2' -SequenceId 2
                $frames = @(Receive-Stream $c 'n-2' -TimeoutSec 1.5)
                (Get-Final $frames 'n-1').cancelled | Should -BeTrue
                (Get-Final $frames 'n-2').Count | Should -Be 0
                (Get-Chunk $frames 'n-2').Count | Should -Be 0
                $Server.Stats.Dropped | Should -Be 1
            }
        }
    ) {
        BeforeAll {
            $server = Start-RapidMockServer -Fault $Fault @Options
        }
        AfterAll {
            $server | Stop-RapidMockServer
        }
        It 'shows the fault on the wire' {
            & $Observe $server
        }
    }
}
