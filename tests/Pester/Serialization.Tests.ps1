# Results survive PowerShell's own serialization whole (jobs, remoting, Export-Clixml at their default
# depths), and Merge-RapidResult refuses what it cannot read instead of merging it as zeros.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'test helpers (New-*, Start-*, Remove-*) make test objects; -WhatIf has no meaning in a test')]
param()

BeforeAll {
    Import-Module RapidMessageTools -Force
    . (Join-Path $PSScriptRoot 'Support/Shards.ps1')
}

Describe 'Results through Export-Clixml' -Tag 'Integration' {
    BeforeAll {
        $server = Start-RapidMockServer -Fault @{ ReorderReplies = 0.05; Seed = 3 }
        $r = Invoke-RapidScenario Sequential -Url $server.Url -MessageCount 300
    }
    AfterAll {
        $server | Stop-RapidMockServer
    }

    It 'carries the histogram, latency, thresholds and violations as data, even at -Depth 1' -ForEach @(
        @{ Depth = $null }, @{ Depth = 1 }
    ) {
        $path = Join-Path $TestDrive "result-$Depth.xml"
        if ($Depth) { $r | Export-Clixml $path -Depth $Depth } else { $r | Export-Clixml $path }
        $back = Import-Clixml $path
        $back.PSObject.TypeNames[0] | Should -Be 'Deserialized.RapidMessageTools.Results.RapidScenarioResult'
        $back.Histogram.Encoded | Should -Be $r.Histogram.Encoded
        $back.Histogram.TotalCount | Should -Be $r.Histogram.TotalCount
        $back.Latency.P99 | Should -Be $r.Latency.P99
        $back.Thresholds.MaxLatency | Should -Be $r.Thresholds.MaxLatency
        $r.Violations.Count | Should -BeGreaterThan 0 -Because 'the fault makes violations to carry'
        $back.Violations.Code | Should -Be $r.Violations.Code
        $back.Violations.Message | Should -Be $r.Violations.Message
    }

    It 'carries every nested object as data at the depth jobs and remoting use, whatever properties the result has' {
        # Walks the live result and its depth-1 serialization side by side: no object may arrive as text.
        function Compare-Nested($Live, $Back, [string] $Path, [int] $Level) {
            if ($null -eq $Live -or $Level -gt 6) { return }
            $type = $Live.GetType()
            if ($Live -is [string] -or $type.IsPrimitive -or $type.IsEnum -or $Live -is [datetime] -or $Live -is [decimal] -or $Live -is [timespan]) { return }
            $null -eq $Back | Should -BeFalse -Because "$Path arrives"
            ($Back -is [string]) | Should -BeFalse -Because "$Path arrives as data, not as the text '$Back'"
            if ($Live -is [Collections.IDictionary]) {
                $Back.Count | Should -Be $Live.Count -Because "$Path keeps its entries"
                return
            }
            if ($Live -is [Collections.IEnumerable]) {
                @($Back).Count | Should -Be @($Live).Count -Because "$Path keeps its items"
                if (@($Live).Count -gt 0) { Compare-Nested @($Live)[0] @($Back)[0] "$Path[0]" ($Level + 1) }
                return
            }
            foreach ($p in $Live.PSObject.Properties) {
                Compare-Nested $p.Value $Back.($p.Name) "$Path.$($p.Name)" ($Level + 1)
            }
        }
        $back = [Management.Automation.PSSerializer]::Deserialize([Management.Automation.PSSerializer]::Serialize($r, 1))
        $back.PSObject.TypeNames[0] | Should -Be 'Deserialized.RapidMessageTools.Results.RapidScenarioResult'
        Compare-Nested $r $back 'Result' 0
        $back.Outcome | Should -Be "$($r.Outcome)" -Because 'the outcome arrives by name, so $r.Outcome -eq ''Failed'' holds after a job'
        $back.Outcome | Should -BeOfType [string]
    }

    It 'merges and shows a result saved before the result model had its own namespace (old type names)' {
        $path = Join-Path $TestDrive 'old-names.xml'
        $r | Export-Clixml $path
        # What the earlier version wrote: the same data under the type names of its namespaces.
        $xml = (Get-Content $path -Raw) -replace 'RapidMessageTools\.Results\.(RapidScenarioResult|RapidOutcome|RapidScenarioParameters)\b', 'RapidMessageTools.Scenarios.$1' -replace 'RapidMessageTools\.Results\.(RapidViolation|RapidThresholds)\b', 'RapidMessageTools.Metrics.$1' -replace 'RapidMessageTools\.Load\.(RapidLoadStage|RapidArrival)\b', 'RapidMessageTools.Scenarios.$1'
        $xml | Should -Not -Match 'RapidMessageTools\.(Results|Load)\.'
        Set-Content $path $xml
        $old = Import-Clixml $path
        $old.PSObject.TypeNames[0] | Should -Be 'Deserialized.RapidMessageTools.Scenarios.RapidScenarioResult'
        ($old | Format-Table | Out-String) | Should -Match 'p99 ms' -Because 'the result view applies to the old type name'
        $live = $r | Merge-RapidResult
        $merged = $old | Merge-RapidResult -ErrorAction Stop
        foreach ($p in 'Sent', 'Delivered', 'Lost', 'OutOfOrder', 'Passed', 'Outcome', 'DeliveryRatio') { $merged.$p | Should -Be $live.$p -Because $p }
        $merged.Latency.P99 | Should -Be $live.Latency.P99
        $merged.Violations.Code | Should -Be $live.Violations.Code
    }

    It 'merges a round-tripped result into what the live one merges into' {
        $path = Join-Path $TestDrive 'merge.xml'
        $r | Export-Clixml $path
        $live = $r | Merge-RapidResult
        $back = Import-Clixml $path | Merge-RapidResult
        foreach ($p in 'Sent', 'Delivered', 'Lost', 'OutOfOrder', 'Passed', 'Outcome', 'DeliveryRatio') { $back.$p | Should -Be $live.$p -Because $p }
        foreach ($p in 'Count', 'P50', 'P99', 'Max') { $back.Latency.$p | Should -Be $live.Latency.$p -Because $p }
        $back.Histogram.Encoded | Should -Be $live.Histogram.Encoded
        $back.Violations.Code | Should -Be $live.Violations.Code
        $back.Passed | Should -BeFalse -Because 'the shard''s OutOfOrder violation is kept'
        $r.Thresholds.Sources.Count | Should -BeGreaterThan 0
        foreach ($k in $r.Thresholds.Sources.Keys) {
            $back.Thresholds.Sources[$k.ToLowerInvariant()] | Should -Be $r.Thresholds.Sources[$k] -Because "where $k came from travels, its names still case-insensitive"
        }
    }

    It 'merges a result read back from ConvertTo-Json' {
        $json = $r | ConvertTo-Json -Depth 6 | ConvertFrom-Json
        $m = $json | Merge-RapidResult
        $m.Histogram.TotalCount | Should -Be $r.Histogram.TotalCount
        $m.Latency.P99 | Should -Be $r.Latency.P99
    }
}

Describe 'Merge-RapidResult refuses what it cannot read' -Tag 'Unit' {
    BeforeAll {
        $h = [RapidMessageTools.Metrics.LatencyHistogram]::new()
        foreach ($m in 1..100) { $h.RecordMicroseconds($m * 10) }
        function New-Deserialized {
            param([hashtable] $Change = @{})
            $o = [ordered]@{
                Scenario   = 'Benchmark'
                Passed     = $true
                Sent       = 100
                Delivered  = 100
                Shard      = '1/1'
                Histogram  = [pscustomobject]@{ Encoded = $h.Export().Encoded; TotalCount = 100; Unit = 'microseconds' }
                Thresholds = [pscustomobject]@{ MaxLatency = 1; LatencyPercentile = 99; MinThroughput = 0; MinDeliveryRatio = 1; MaxMemoryGrowth = 1e8 }
                Violations = @()
            }
            foreach ($k in $Change.Keys) { $o[$k] = $Change[$k] }
            $p = [pscustomobject]$o
            $p.PSObject.TypeNames.Insert(0, 'Deserialized.RapidMessageTools.Results.RapidScenarioResult')
            $p
        }
    }

    It 'merges a well-formed deserialized result' {
        $m = New-Deserialized | Merge-RapidResult -ErrorAction Stop
        $m.Histogram.TotalCount | Should -Be 100
        $m.Latency.Count | Should -Be 100
    }

    It 'reads the histogram carried as its encoded string alone' {
        $m = New-Deserialized @{ Histogram = $h.Export().Encoded } | Merge-RapidResult -ErrorAction Stop
        $m.Histogram.TotalCount | Should -Be 100
        $m.Latency.P50 | Should -Be $h.Summarize().P50
    }

    It 'refuses <Case> with UnreadableScenarioResult' -ForEach @(
        @{ Case = 'a histogram that arrived as its type name (depth 1)'; Change = { @{ Histogram = 'RapidMessageTools.Metrics.RapidHistogram' } } }
        @{ Case = 'no histogram'; Change = { @{ Histogram = $null } } }
        @{ Case = 'a histogram whose count disagrees with its samples'; Change = { @{ Histogram = [pscustomobject]@{ Encoded = $h.Export().Encoded; TotalCount = 7 } } } }
        @{ Case = 'a histogram whose encoded form is not one'; Change = { @{ Histogram = [pscustomobject]@{ Encoded = 'bm90IGEgaGlzdG9ncmFt'; TotalCount = 100 } } } }
        @{ Case = 'thresholds that arrived as text'; Change = { @{ Thresholds = 'RapidMessageTools.Results.RapidThresholds' } } }
        @{ Case = 'a violation that arrived as text'; Change = { @{ Violations = @(': shard 1/1: ') } } }
        @{ Case = 'a count that is not a number'; Change = { @{ Sent = 'many' } } }
        @{ Case = 'a negative count'; Change = { @{ Delivered = -1 } } }
        @{ Case = 'a shard that is not i/n'; Change = { @{ Shard = 'first' } } }
    ) {
        $out = New-Deserialized (& $Change) | Merge-RapidResult -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty -Because 'nothing readable was given, so nothing is merged'
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'UnreadableScenarioResult,*'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
    }

    It 'stops on an unreadable result with -ErrorAction Stop' {
        { New-Deserialized @{ Histogram = 'RapidMessageTools.Metrics.RapidHistogram' } | Merge-RapidResult -ErrorAction Stop } |
            Should -Throw -ErrorId 'UnreadableScenarioResult,*'
    }

    It 'merges the readable results and refuses the unreadable one' {
        $good = New-Deserialized @{ Shard = '1/2' }
        $bad = New-Deserialized @{ Shard = '2/2'; Histogram = 'RapidMessageTools.Metrics.RapidHistogram' }
        $m = $good, $bad | Merge-RapidResult -ErrorVariable err -ErrorAction SilentlyContinue -WarningVariable warnings -WarningAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'UnreadableScenarioResult,*'
        $m.Histogram.TotalCount | Should -Be 100
        $warnings.Count | Should -Be 1 -Because 'shard 2/2 is then missing from the merge'
    }
}

Describe 'Merge-RapidResult and missing shards' -Tag 'Unit' {
    BeforeAll {
        function New-Shard([string] $Shard) {
            $r = [RapidMessageTools.Results.RapidScenarioResult]::new()
            $r.Scenario = 'Benchmark'
            $r.Shard = $Shard
            $r
        }
    }

    It 'warns when <Given> of a set are merged, and notes it in the result' -ForEach @(
        @{ Given = @('1/2'); Missing = '2/2' }
        @{ Given = @('1/4', '3/4'); Missing = '2/4, 4/4' }
        @{ Given = @('1,2/3'); Missing = '3/3' }
    ) {
        $m = $Given | ForEach-Object { New-Shard $_ } | Merge-RapidResult -WarningVariable warnings -WarningAction SilentlyContinue
        $warnings.Count | Should -Be 1
        "$($warnings[0])" | Should -BeLike "*missing $Missing*"
        $m.Notes | Should -Contain "$($warnings[0])"
    }

    It 'says nothing when every shard is there (<Given>)' -ForEach @(
        @{ Given = @('1/1') }
        @{ Given = @('2/2', '1/2') }
        @{ Given = @('1,2/3', '3/3') }
    ) {
        $null = $Given | ForEach-Object { New-Shard $_ } | Merge-RapidResult -WarningVariable warnings -WarningAction SilentlyContinue
        $warnings.Count | Should -Be 0
    }

    It 'warns when the shards come from loads of different sizes' {
        $null = (New-Shard '1/2'), (New-Shard '2/3') | Merge-RapidResult -WarningVariable warnings -WarningAction SilentlyContinue
        $warnings.Count | Should -Be 1
    }
}

Describe 'Shards in jobs, merged' -Tag 'Integration', 'Slow' {
    BeforeAll {
        $server = Start-RapidMockServer
        $count = 3000
        $single = Invoke-RapidScenario Benchmark -Url $server.Url -MessageCount $count -Connections 3
    }
    AfterAll {
        Get-Job -Name 'RapidShard*' -ErrorAction SilentlyContinue | Remove-Job -Force
        $server | Stop-RapidMockServer
    }

    It 'Start-Job: three shards (deserialized at the default depth), merged, equal one process' {
        $jobs = 1..3 | ForEach-Object { Start-Job -Name "RapidShard$_" -ScriptBlock $ShardScript -ArgumentList $_, 3, $server.Url, $count }
        $null = $jobs | Wait-Job -Timeout 300
        $jobs.State | Should -Be @('Completed', 'Completed', 'Completed')
        $shards = Split-ShardOutput ($jobs | Receive-Job)
        $shards.Encoded | Should -Be 3
        $shards.Results | ForEach-Object { $_.PSObject.TypeNames[0] | Should -BeLike 'Deserialized.*' }
        $merged = $shards.Results | Merge-RapidResult -WarningVariable warnings
        $warnings | Should -BeNullOrEmpty
        Assert-MergeIsWhole $merged $single $shards.Reference
    }

    It 'Start-ThreadJob: three shards, merged, equal one process' {
        if (-not (Get-Command Start-ThreadJob -ErrorAction SilentlyContinue)) {
            Set-ItResult -Skipped -Because 'Start-ThreadJob is not available in this PowerShell (Windows PowerShell 5.1 without the ThreadJob module)'
            return
        }
        $jobs = 1..3 | ForEach-Object { Start-ThreadJob -Name "RapidShard$_" -ScriptBlock $ShardScript -ArgumentList $_, 3, $server.Url, $count }
        $null = $jobs | Wait-Job -Timeout 300
        $jobs.State | Should -Be @('Completed', 'Completed', 'Completed')
        $shards = Split-ShardOutput ($jobs | Receive-Job)
        $shards.Encoded | Should -Be 3
        $merged = $shards.Results | Merge-RapidResult
        Assert-MergeIsWhole $merged $single $shards.Reference
    }
}
