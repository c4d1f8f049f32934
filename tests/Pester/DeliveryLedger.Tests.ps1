[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'test helpers (New-*, Start-*, Remove-*) make test objects; -WhatIf has no meaning in a test')]
param()

BeforeAll {
    Import-Module RapidMessageTools -Force
    $script:t = [System.Diagnostics.Stopwatch]::GetTimestamp()
    function New-Ledger { [RapidMessageTools.Metrics.DeliveryLedger]::new() }
    function Send($l, [string] $id, [long] $seq, [long] $connection = 1) { $l.RecordSend($id, $seq, [RapidMessageTools.Metrics.MessageStream]::new($connection, $null), $script:t, $script:t) }
    function Reply($l, [string] $id, [long] $seq, [bool] $dup = $false) { $l.RecordReply($id, $seq, $dup, $script:t + 10000) }
}

Describe 'DeliveryLedger: accounting of every message' -Tag 'Unit' {
    It 'settles a message on its first reply and records its latency' {
        $l = New-Ledger
        Send $l 'm-1' 1
        $l.Outstanding | Should -Be 1
        Reply $l 'm-1' 1 | Should -BeTrue
        $l.Outstanding | Should -Be 0
        $l.Delivered | Should -Be 1
        $l.IsAnswered('m-1') | Should -BeTrue
        $l.IsSettled('m-1') | Should -BeTrue
        $l.Latency.Summarize().Count | Should -Be 1
    }

    It 'counts a second unmarked reply as a duplicate, and a marked one as a replay' {
        $l = New-Ledger
        Send $l 'm-1' 1
        Reply $l 'm-1' 1 | Out-Null
        Reply $l 'm-1' 1 | Out-Null
        Reply $l 'm-1' 1 $true | Out-Null
        $l.DuplicateReplies | Should -Be 1
        $l.DuplicateExamples | Should -Be @('m-1')
        $l.Replays | Should -Be 1
        $l.Delivered | Should -Be 1
        $l.MessagesAnsweredTwice() | Should -Be 1
    }

    It 'answers a message by a replay that comes first, and does not count it twice when the original follows' {
        $l = New-Ledger
        Send $l 'm-1' 1
        Reply $l 'm-1' 1 $true | Out-Null
        Reply $l 'm-1' 1 | Out-Null
        $l.Delivered | Should -Be 1
        $l.Outstanding | Should -Be 0
        $l.DuplicateReplies | Should -Be 0
    }

    It 'counts a reply for an id never sent as unexpected' {
        $l = New-Ledger
        Reply $l 'nobody' 1 | Should -BeFalse
        $l.Unexpected | Should -Be 1
    }

    It 'settles a rejection once, and a later reply neither delivers it nor counts as unexpected' {
        $l = New-Ledger
        Send $l 'm-1' 1
        $l.RecordRejection('m-1', $script:t) | Should -BeTrue
        $l.RecordRejection('m-1', $script:t) | Should -BeTrue
        Reply $l 'm-1' 1 | Should -BeTrue
        $l.Rejected | Should -Be 1
        $l.Delivered | Should -Be 0
        $l.Unexpected | Should -Be 0
        $l.IsSettled('m-1') | Should -BeTrue
        $l.IsAnswered('m-1') | Should -BeFalse
    }

    It 'finds replies out of order on one stream, not across streams' {
        $l = New-Ledger
        Send $l 'a-1' 1 1; Send $l 'a-2' 2 1; Send $l 'b-1' 1 2
        Reply $l 'a-2' 2 | Out-Null
        Reply $l 'b-1' 1 | Out-Null
        Reply $l 'a-1' 1 | Out-Null
        $l.OutOfOrder | Should -Be 1
        $l.OrderExamples[0] | Should -Be 'sequence 1 after 2'
    }

    It 'tells a repeat that was processed again (unmarked replies) from one replayed' {
        $l = New-Ledger
        Send $l 'again' 1; Reply $l 'again' 1 | Out-Null; Send $l 'again' 1; Reply $l 'again' 1 | Out-Null
        Send $l 'replayed' 2; Reply $l 'replayed' 2 | Out-Null; Send $l 'replayed' 2; Reply $l 'replayed' 2 $true | Out-Null
        $l.Sent | Should -Be 4
        $l.Distinct | Should -Be 2
        $l.RepeatsNotMarked() | Should -Be 1
    }

    It 'counts outstanding messages as lost (not as latency samples), and abandons only the ended connection''s' {
        $l = New-Ledger
        Send $l 'x-1' 1 1; Send $l 'y-1' 1 2; Send $l 'y-2' 2 2
        $l.Abandon(2) | Should -Be 2
        $l.Outstanding | Should -Be 1
        $l.OutstandingIds(10) | Should -Contain 'y-1 (connection ended)'
        $l.CloseOutstanding() | Should -Be 3
        $l.Latency.Summarize().Count | Should -Be 0 -Because 'a lost message has no latency; its time would only be the timeout'
    }

    It 'remembers the last SettledWindow messages and forgets older ones (bounded memory)' {
        $l = New-Ledger
        $n = [RapidMessageTools.Metrics.DeliveryLedger]::SettledWindow + 10
        Add-Type -TypeDefinition @'
public static class LedgerFill {
    public static void Fill(RapidMessageTools.Metrics.DeliveryLedger l, int n, long t) {
        for (int i = 0; i < n; i++) { var id = "m-" + i; l.RecordSend(id, i, new RapidMessageTools.Metrics.MessageStream(1, null), t, t); l.RecordReply(id, i, false, t + 1); }
    }
}
'@ -ReferencedAssemblies ([RapidMessageTools.Metrics.DeliveryLedger].Assembly.Location), netstandard
        [LedgerFill]::Fill($l, $n, $script:t)
        $l.Delivered | Should -Be $n
        Reply $l "m-$($n - 1)" ($n - 1) | Out-Null
        $l.DuplicateReplies | Should -Be 1 -Because 'the newest settled message is remembered'
        Reply $l 'm-0' 0 | Should -BeFalse -Because 'the oldest was forgotten beyond the window'
        $l.Unexpected | Should -Be 1
    }
}
