# Shared by the tests that run a load in shards somewhere else (jobs, remoting) and merge the results.
# Dot-source inside BeforeAll.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'files that dot-source this one read $ShardScript')]
param()

# The script a shard runs: the result, then the histogram's encoded form as a plain string. A string
# survives any serialization, so the caller can rebuild the exact histogram of every shard's samples
# without trusting the result's own serialization, and compare the merge with it.
$ShardScript = {
    param([int] $Index, [int] $Total, [string] $Url, [int] $MessageCount)
    Import-Module RapidMessageTools
    $r = Invoke-RapidScenario Benchmark -Url $Url -MessageCount $MessageCount -Connections 3 -Shard "$Index/$Total"
    $r
    'encoded:' + $r.Histogram.Encoded
}

# Splits what shards returned into results and the reference histogram of all their samples.
function Split-ShardOutput {
    param([object[]] $Output)
    $reference = [RapidMessageTools.Metrics.LatencyHistogram]::new()
    # Remoting adds PSComputerName to what comes back, so look at the object under it.
    $encoded = @($Output | Where-Object { $_.PSObject.BaseObject -is [string] -and "$_".StartsWith('encoded:') } | ForEach-Object { "$_" })
    foreach ($e in $encoded) {
        $reference.Add([RapidMessageTools.Metrics.LatencyHistogram]::Import([RapidMessageTools.Metrics.RapidHistogram]::new($e.Substring(8), 0)))
    }
    [pscustomobject]@{
        Results   = @($Output | Where-Object { $_.PSObject.BaseObject -isnot [string] })
        Reference = $reference.Summarize()
        Encoded   = $encoded.Count
    }
}

# The merge of shards must equal one process doing the same work: the same counts, and percentiles
# equal to one histogram that recorded every shard's samples.
function Assert-MergeIsWhole {
    param($Merged, $Single, $Reference)
    foreach ($count in 'Sent', 'Delivered', 'Rejected', 'Lost', 'Duplicates', 'OutOfOrder') {
        $Merged.$count | Should -Be $Single.$count -Because "$count of the merge equals one process's"
    }
    $Merged.Histogram.TotalCount | Should -Be $Single.Histogram.TotalCount
    $Merged.Latency.Count | Should -Be $Single.Latency.Count
    $Merged.Latency.Count | Should -BeGreaterThan 0
    foreach ($p in 'Count', 'P50', 'P90', 'P99', 'P999', 'Max', 'Mean') {
        $Merged.Latency.$p | Should -Be $Reference.$p -Because "$p of the merge equals one histogram of every sample"
    }
    $Merged.Passed | Should -BeTrue -Because ($Merged.Violations -join '; ')
}
