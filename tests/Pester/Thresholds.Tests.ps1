[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSReviewUnusedParameter', '', Justification = 'scriptblocks take the parameters their callers pass; closures read them where the rule does not look')]
param()

BeforeDiscovery {
    # Unparsable or out-of-range environment values: a warning naming the variable and the value, and the default stands.
    $badValues = @(
        @{ Variable = 'RAPID_TEST_MAX_MEMORY_GROWTH'; Value = 'abc'; Limit = 'MaxMemoryGrowth' }
        @{ Variable = 'RAPID_TEST_MIN_THROUGHPUT'; Value = '-5'; Limit = 'MinThroughput' }
        @{ Variable = 'RAPID_TEST_MAX_LATENCY'; Value = '0'; Limit = 'MaxLatency' }
        @{ Variable = 'RAPID_TEST_MIN_DELIVERY_RATIO'; Value = '1.5'; Limit = 'MinDeliveryRatio' }
        @{ Variable = 'RAPID_TEST_MIN_DELIVERY_RATIO'; Value = '0,95'; Limit = 'MinDeliveryRatio' }
    )
}

BeforeAll {
    Import-Module RapidMessageTools -Force

    # Resolves limits from bound parameters, a -Threshold table and a hashtable standing in for the environment.
    function Resolve-TestThreshold {
        param([hashtable] $Parameter = @{}, [hashtable] $Table, [hashtable] $Environment = @{})
        $given = [System.Collections.Generic.Dictionary[string, double]]::new()
        foreach ($k in $Parameter.Keys) { $given[$k] = $Parameter[$k] }
        $warnings = [System.Collections.Generic.List[string]]::new()
        $reader = [Func[string, string]] { param($name) $Environment[$name] }.GetNewClosure()
        $t = [RapidMessageTools.Results.ThresholdResolver]::Resolve($given, $Table, $reader, $warnings)
        [pscustomobject]@{ Thresholds = $t; Warnings = @($warnings) }
    }
}

Describe 'ThresholdResolver: one place, each limit with its source' -Tag 'Unit' {
    It 'uses the defaults when nothing is set, and says so' {
        $r = Resolve-TestThreshold
        $r.Warnings | Should -HaveCount 0
        $r.Thresholds.MaxLatency | Should -Be 1
        $r.Thresholds.MinDeliveryRatio | Should -Be 1
        foreach ($limit in 'MaxLatency', 'LatencyPercentile', 'MinThroughput', 'MinDeliveryRatio', 'MaxMemoryGrowth') {
            $r.Thresholds.Sources[$limit] | Should -Be 'Default' -Because $limit
        }
    }

    It 'orders parameter, then -Threshold, then environment, then default' {
        $r = Resolve-TestThreshold -Parameter @{ MaxLatency = 0.5 } `
            -Table @{ MaxLatency = 2; MinThroughput = 100; MinDeliveryRatio = 0.9 } `
            -Environment @{ RAPID_TEST_MAX_LATENCY = '9'; RAPID_TEST_MIN_THROUGHPUT = '7'; RAPID_TEST_MIN_DELIVERY_RATIO = '0.5'; RAPID_TEST_MAX_MEMORY_GROWTH = '52428800' }
        $t = $r.Thresholds
        $t.MaxLatency | Should -Be 0.5
        $t.Sources['MaxLatency'] | Should -Be 'Parameter'
        $t.MinThroughput | Should -Be 100
        $t.Sources['MinThroughput'] | Should -Be 'Threshold'
        $t.MinDeliveryRatio | Should -Be 0.9
        $t.MaxMemoryGrowth | Should -Be 52428800
        $t.Sources['MaxMemoryGrowth'] | Should -Be 'Environment'
        $t.Sources['LatencyPercentile'] | Should -Be 'Default'
    }

    It 'warns about <Variable>=<Value>, naming the variable and the value, and keeps the default' -ForEach $badValues {
        $r = Resolve-TestThreshold -Environment @{ $Variable = $Value }
        $r.Warnings | Should -HaveCount 1
        $r.Warnings[0] | Should -BeLike "*$Variable*"
        $r.Warnings[0] | Should -BeLike "*$Value*"
        $r.Thresholds.Sources[$Limit] | Should -Be 'Default'
    }

    It 'treats an empty environment variable as unset' {
        $r = Resolve-TestThreshold -Environment @{ RAPID_TEST_MAX_LATENCY = '  ' }
        $r.Warnings | Should -HaveCount 0
        $r.Thresholds.Sources['MaxLatency'] | Should -Be 'Default'
    }

    It 'names the -Threshold key whose value is not a number' {
        $err = { Resolve-TestThreshold -Table @{ MaxLatency = 'abc' } } | Should -Throw -PassThru
        $err.Exception.InnerException | Should -BeOfType ([ArgumentException])
        $err.Exception.InnerException.ParamName | Should -Be 'MaxLatency'
    }

    It 'refuses an unknown key and an out-of-range parameter, naming them' {
        ({ Resolve-TestThreshold -Table @{ Speed = 1 } } | Should -Throw -PassThru).Exception.InnerException.ParamName | Should -Be 'Speed'
        ({ Resolve-TestThreshold -Parameter @{ MinDeliveryRatio = 2 } } | Should -Throw -PassThru).Exception.InnerException.ParamName | Should -Be 'MinDeliveryRatio'
    }

    It 'round-trips its sources through Export-Clixml' {
        $t = (Resolve-TestThreshold -Parameter @{ MaxLatency = 0.25 }).Thresholds
        $path = Join-Path $TestDrive 't.xml'
        $t | Export-Clixml $path
        $back = Import-Clixml $path
        $back.MaxLatency | Should -Be 0.25
        $back.Sources['MaxLatency'] | Should -Be 'Parameter'
    }
}

Describe 'Thresholds through Invoke-RapidScenario' -Tag 'Integration' {
    BeforeAll {
        $server = Start-RapidMockServer
        $saved = @{}
        foreach ($v in 'RAPID_TEST_MAX_LATENCY', 'RAPID_TEST_MIN_DELIVERY_RATIO') { $saved[$v] = [Environment]::GetEnvironmentVariable($v) }
    }
    AfterAll {
        $server | Stop-RapidMockServer
        foreach ($v in $saved.Keys) { [Environment]::SetEnvironmentVariable($v, $saved[$v]) }
    }

    It 'a parameter beats -Threshold, which beats the environment; the result says where each came from' {
        $env:RAPID_TEST_MAX_LATENCY = '9'
        $env:RAPID_TEST_MIN_DELIVERY_RATIO = '0.5'
        $r = Invoke-RapidScenario Sequential -Url $server.Url -MessageCount 10 -MaxLatency 0.5 -Threshold @{ MaxLatency = 2; MinThroughput = 1 }
        $r.Thresholds.MaxLatency | Should -Be 0.5
        $r.Thresholds.Sources['MaxLatency'] | Should -Be 'Parameter'
        $r.Thresholds.MinThroughput | Should -Be 1
        $r.Thresholds.Sources['MinThroughput'] | Should -Be 'Threshold'
        $r.Thresholds.MinDeliveryRatio | Should -Be 0.5
        $r.Thresholds.Sources['MinDeliveryRatio'] | Should -Be 'Environment'
        $r.Thresholds.Sources['MaxMemoryGrowth'] | Should -Be 'Default'
    }

    It 'a bad -Threshold value stops with InvalidScenarioParameter naming the key' {
        $err = { Invoke-RapidScenario Sequential -Url $server.Url -MessageCount 5 -Threshold @{ MaxLatency = 'abc' } } |
            Should -Throw -ErrorId 'InvalidScenarioParameter,RapidMessageTools.Commands.InvokeRapidScenarioCommand' -PassThru
        $err.Exception.Message | Should -BeLike "*'MaxLatency'*"
    }

    It 'shows a tiny limit as it was given, not rounded to 0' {
        $env:RAPID_TEST_MAX_LATENCY = '0.000001'
        $env:RAPID_TEST_MIN_DELIVERY_RATIO = $null
        $r = Invoke-RapidScenario Sequential -Url $server.Url -MessageCount 20
        $r.Thresholds.MaxLatency | Should -Be 0.000001
        $v = $r.Violations | Where-Object Code -EQ 'Latency'
        $v.Limit | Should -Be 0.000001
        $v.Message | Should -BeLike '*limit of 1E-06 s*'
    }
}
