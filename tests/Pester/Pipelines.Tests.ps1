# azure-pipelines.yml cannot run here, so its structure is checked: parsed as YAML (python3-yaml), every
# key is one Azure Pipelines knows at its level, every step is exactly one kind, job dependencies exist,
# and the jobs the project promises are there (tests on ubuntu pwsh and windows pwsh + Windows PowerShell
# 5.1, the analyzer, NUnit results, the HTML report, a sharded load that merges its shards).
# The README's pipeline example and docs/azure-pipelines.consumer-example.yml are checked the same way.
# Every PowerShell step of both files runs under pwsh (but the one meant for 5.1) and passes the analyzer;
# the regression job's PowerShell step is dry-run here against a local mock, twice (no baseline, then one).
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll are read in It blocks, which the rule does not follow')]
param()

BeforeAll {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $python = Get-Command python3 -ErrorAction SilentlyContinue
    $yamlReason = if (-not $python) { 'python3 is not installed (apt-get install python3-yaml)' }
    else {
        $null = & $python.Source -c 'import yaml' 2>&1
        if ($LASTEXITCODE -ne 0) { 'python3-yaml is not installed (apt-get install python3-yaml; .ci/run installs it)' }
    }

    # YAML text -> objects, through python3's yaml.safe_load and JSON.
    function ConvertFrom-Yaml([string] $Text) {
        $file = Join-Path $TestDrive ("yaml-" + [guid]::NewGuid().ToString('N') + '.yml')
        Set-Content -Path $file -Value $Text -Encoding utf8
        $json = & $python.Source -c 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1], encoding="utf-8"))))' $file
        if ($LASTEXITCODE -ne 0) { throw "Not valid YAML: $file" }
        $json | ConvertFrom-Json
    }

    function Get-KeyName($Object) { @($Object.PSObject.Properties.Name) }

    # Keys Azure Pipelines accepts (https://learn.microsoft.com/azure/devops/pipelines/yaml-schema).
    $pipelineKeys = 'name', 'trigger', 'pr', 'schedules', 'resources', 'variables', 'parameters', 'pool', 'stages', 'jobs', 'steps', 'extends', 'lockBehavior', 'appendCommitMessageToRunName'
    $jobKeys = 'job', 'displayName', 'dependsOn', 'condition', 'continueOnError', 'pool', 'container', 'services', 'timeoutInMinutes', 'cancelTimeoutInMinutes', 'variables', 'strategy', 'workspace', 'steps', 'templateContext', 'uses'
    $stepKinds = 'task', 'script', 'pwsh', 'powershell', 'bash', 'checkout', 'download', 'downloadBuild', 'getPackage', 'publish', 'template', 'reviewApp'
    $stepKeys = $stepKinds + @('displayName', 'name', 'condition', 'continueOnError', 'enabled', 'env', 'timeoutInMinutes', 'retryCountOnTaskFailure', 'target', 'inputs', 'workingDirectory', 'failOnStderr', 'errorActionPreference', 'ignoreLASTEXITCODE', 'artifact', 'patterns', 'path', 'clean', 'fetchDepth', 'lfs', 'submodules', 'persistCredentials')
    $strategyKeys = 'matrix', 'maxParallel', 'parallel', 'runOnce', 'rolling', 'canary'

    # The problems of one pipeline document, as strings (empty when it is well formed).
    function Test-PipelineStructure($Pipeline) {
        $problems = [Collections.Generic.List[string]]::new()
        foreach ($k in Get-KeyName $Pipeline) { if ($k -notin $pipelineKeys) { $problems.Add("unknown top-level key '$k'") } }
        $jobs = @(if ($Pipeline.PSObject.Properties['jobs']) { $Pipeline.jobs } elseif ($Pipeline.PSObject.Properties['steps']) { [pscustomobject]@{ job = 'single'; steps = $Pipeline.steps } })
        if ($jobs.Count -eq 0) { $problems.Add('no jobs and no steps') }
        $names = @($jobs | ForEach-Object { $_.job })
        foreach ($dup in $names | Group-Object | Where-Object Count -gt 1) { $problems.Add("job '$($dup.Name)' is defined twice") }
        foreach ($job in $jobs) {
            foreach ($k in Get-KeyName $job) { if ($k -notin $jobKeys) { $problems.Add("job '$($job.job)': unknown key '$k'") } }
            if ($job.job -notmatch '^[A-Za-z_][A-Za-z0-9_]*$') { $problems.Add("job '$($job.job)': a job name is letters, digits and _") }
            foreach ($d in @($job.PSObject.Properties['dependsOn'].Value | Where-Object { $_ })) {
                if ($d -notin $names) { $problems.Add("job '$($job.job)' depends on '$d', which is not a job") }
            }
            if ($job.PSObject.Properties['strategy']) {
                foreach ($k in Get-KeyName $job.strategy) { if ($k -notin $strategyKeys) { $problems.Add("job '$($job.job)': unknown strategy key '$k'") } }
            }
            if ($job.PSObject.Properties['pool'] -and $job.pool -isnot [string] -and -not ($job.pool.PSObject.Properties['vmImage'] -or $job.pool.PSObject.Properties['name'])) {
                $problems.Add("job '$($job.job)': pool has neither vmImage nor name")
            }
            $steps = @($job.steps)
            if ($steps.Count -eq 0) { $problems.Add("job '$($job.job)' has no steps") }
            for ($i = 0; $i -lt $steps.Count; $i++) {
                $step = $steps[$i]
                $where = "job '$($job.job)' step $($i + 1)"
                $kinds = @(Get-KeyName $step | Where-Object { $_ -in $stepKinds })
                if ($kinds.Count -ne 1) { $problems.Add("${where}: is $($kinds.Count) kinds of step ($($kinds -join ', ')), not one") }
                foreach ($k in Get-KeyName $step) { if ($k -notin $stepKeys) { $problems.Add("${where}: unknown key '$k'") } }
                if ($step.PSObject.Properties['task'] -and $step.task -notmatch '^[A-Za-z][A-Za-z0-9.-]*@\d+$') { $problems.Add("${where}: task '$($step.task)' is not Name@MajorVersion") }
                foreach ($kind in 'script', 'pwsh', 'powershell', 'bash') {
                    if ($step.PSObject.Properties[$kind] -and -not ("$($step.$kind)".Trim())) { $problems.Add("${where}: empty $kind") }
                }
                if ($step.PSObject.Properties['publish'] -and -not $step.PSObject.Properties['artifact']) { $problems.Add("${where}: publish without artifact") }
            }
        }
        $problems
    }

    function Get-Step($Job, [string] $Kind) { @($Job.steps | Where-Object { $_.PSObject.Properties[$Kind] }) }

    # The PowerShell steps of a pipeline document: pwsh and powershell shortcuts and PowerShell@2 tasks.
    function Get-PowerShellStep($Pipeline) {
        $jobs = @(if ($Pipeline.PSObject.Properties['jobs']) { $Pipeline.jobs } else { [pscustomobject]@{ job = 'single'; steps = $Pipeline.steps } })
        foreach ($job in $jobs) {
            foreach ($step in $job.steps) {
                $kind = if ($step.PSObject.Properties['pwsh']) { 'pwsh' } elseif ($step.PSObject.Properties['powershell']) { 'powershell' } elseif ($step.PSObject.Properties['task'] -and $step.task -like 'PowerShell@*') { 'task' }
                if (-not $kind) { continue }
                $script = switch ($kind) { 'pwsh' { $step.pwsh } 'powershell' { $step.powershell } 'task' { $step.inputs.script } }
                [pscustomobject]@{ Job = $job.job; Kind = $kind; Step = $step; Script = $script; Pwsh = ($kind -eq 'pwsh' -or ($kind -eq 'task' -and $step.inputs.pwsh -eq $true)) }
            }
        }
    }

    if (-not $yamlReason) {
        $ciText = Get-Content (Join-Path $root 'azure-pipelines.yml') -Raw
        $consumer = ConvertFrom-Yaml (Get-Content (Join-Path $root 'docs/azure-pipelines.consumer-example.yml') -Raw)
        $ci = ConvertFrom-Yaml $ciText
        $jobsByName = @{}
        foreach ($j in $ci.jobs) { $jobsByName[$j.job] = $j }
    }
}

Describe 'azure-pipelines.yml' -Tag 'Unit', 'Pipelines' {
    BeforeEach {
        if ($yamlReason) { Set-ItResult -Skipped -Because $yamlReason }
    }

    It 'is well-formed Azure Pipelines YAML' {
        $problems = @(Test-PipelineStructure $ci)
        $problems | Should -BeNullOrEmpty -Because ($problems -join '; ')
    }

    It 'tests on ubuntu with pwsh, through build.ps1 -Task Test, remoting included' {
        $job = $jobsByName['test_linux']
        $job.pool.vmImage | Should -BeLike 'ubuntu*'
        @(Get-Step $job 'script').script | Should -Contain 'dotnet pwsh ./build.ps1 -Task Test'
        (Get-Step $job 'script' | Where-Object script -eq 'dotnet pwsh ./build.ps1 -Task Test').env.RAPID_REQUIRE_SSHD | Should -Be '1'
        ((Get-Step $job 'script').script -join "`n") | Should -Match 'openssh-server'
    }

    It 'tests on windows with pwsh and with Windows PowerShell 5.1 (the powershell task)' {
        $job = $jobsByName['test_windows']
        $job.pool.vmImage | Should -BeLike 'windows*'
        @(Get-Step $job 'script').script | Should -Contain 'dotnet pwsh ./build.ps1 -Task Test -ExcludeTag Remoting'
        $ps51 = @(Get-Step $job 'powershell')
        $ps51.Count | Should -Be 1
        $ps51[0].powershell | Should -Match 'Invoke-Pester'
        $ps51[0].powershell | Should -Match 'TestResult\.OutputPath'
    }

    It 'runs the analyzer' {
        @(Get-Step $jobsByName['analyze'] 'script').script | Should -Contain 'dotnet pwsh ./build.ps1 -Task Analyze'
    }

    It 'publishes NUnit results for every test run, even a failed one' {
        foreach ($name in 'test_linux', 'test_windows') {
            $publish = @(Get-Step $jobsByName[$name] 'task' | Where-Object task -eq 'PublishTestResults@2')
            $publish.Count | Should -BeGreaterThan 0 -Because "$name publishes its results"
            foreach ($p in $publish) {
                $p.inputs.testResultsFormat | Should -Be 'NUnit'
                $p.condition | Should -Be 'succeededOrFailed()'
            }
        }
        $paths = @($jobsByName['test_windows'].steps | Where-Object { $_.PSObject.Properties['task'] -and $_.task -eq 'PublishTestResults@2' } | ForEach-Object { $_.inputs.testResultsFiles })
        $jobsByName['test_windows'].steps.powershell -join '' | Should -Match ([regex]::Escape(($paths | Where-Object { $_ -like '*WindowsPowerShell*' })))
    }

    It 'publishes the demo''s HTML report as an artifact' {
        foreach ($name in 'test_linux', 'test_windows') {
            $report = @(Get-Step $jobsByName[$name] 'task' | Where-Object { $_.task -eq 'PublishPipelineArtifact@1' -and $_.inputs.targetPath -eq 'out/demo-report.html' })
            $report.Count | Should -Be 1 -Because "$name publishes the report"
            @(Get-Step $jobsByName[$name] 'script').script | Should -Contain 'dotnet pwsh ./build.ps1 -Task Demo'
        }
    }

    It 'runs a sharded load in parallel jobs and merges the shards in a last job' {
        $shard = $jobsByName['shard']
        $shard.strategy.parallel | Should -BeGreaterThan 1
        $run = (Get-Step $shard 'pwsh').pwsh -join "`n"
        $run | Should -Match '-Shard'
        $run | Should -Match 'System\.JobPositionInPhase'
        $run | Should -Match 'Export-Clixml'
        @(Get-Step $shard 'publish').Count | Should -Be 1
        $merge = $jobsByName['merge']
        @($merge.dependsOn) | Should -Contain 'shard'
        @(Get-Step $merge 'download').Count | Should -Be 1
        $mergeRun = (Get-Step $merge 'pwsh').pwsh -join "`n"
        $mergeRun | Should -Match 'Import-Clixml'
        $mergeRun | Should -Match 'Merge-RapidResult'
        $mergeRun | Should -Match '-WarningAction Stop' -Because 'a missing shard fails the merge'
    }

    It 'judges a run against the last successful main run''s result and publishes the next baseline' {
        $job = $jobsByName['regression']
        $download = @(Get-Step $job 'task' | Where-Object task -eq 'DownloadPipelineArtifact@2')
        $download.Count | Should -Be 1
        $d = $download[0]
        $d.inputs.source | Should -Be 'specific'
        $d.inputs.pipeline | Should -Be '$(System.DefinitionId)' -Because 'the baseline is this pipeline''s own result'
        $d.inputs.runVersion | Should -Be 'latestFromBranch'
        $d.inputs.branchName | Should -Be 'refs/heads/main'
        $d.inputs.allowPartiallySucceededBuilds | Should -BeExactly $false
        $d.inputs.allowFailedBuilds | Should -BeExactly $false
        $d.continueOnError | Should -BeExactly $true -Because 'the first run of a new pipeline has no baseline: NoBaseline, not a failure'
        $run = @(Get-PowerShellStep ([pscustomobject]@{ jobs = @($job) }))
        $run.Count | Should -Be 1
        $run[0].Script | Should -Match '-Baseline \$baseline'
        $run[0].Script | Should -Match ([regex]::Escape('$baseline = "' + $d.inputs.path + '"'))
        $run[0].Script | Should -Match 'task\.uploadsummary'
        $publish = @(Get-Step $job 'task' | Where-Object task -eq 'PublishPipelineArtifact@1')
        $publish.Count | Should -Be 1
        $publish[0].inputs.artifact | Should -Be $d.inputs.artifact -Because 'what a run publishes is what the next one downloads'
        $publish[0].condition | Should -Be 'succeeded()' -Because 'a failed run''s result is no baseline'
        $run[0].Script | Should -Match ([regex]::Escape('Export-RapidResult -Path "' + ($publish[0].inputs.targetPath -replace '^\$\(Build\.ArtifactStagingDirectory\)', '$out') + '/'))
        $junit = @(Get-Step $job 'task' | Where-Object task -eq 'PublishTestResults@2')
        $junit.inputs.testResultsFormat | Should -Be 'JUnit'
        $junit.condition | Should -Be 'succeededOrFailed()'
        $run[0].Script | Should -Match ([regex]::Escape('Export-RapidReport -Path "' + ($junit.inputs.testResultsFiles -replace '^\$\(Build\.ArtifactStagingDirectory\)', '$out') + '"'))
    }

    It 'runs every PowerShell task under pwsh, saying why; only test_windows'' 5.1 step runs Windows PowerShell' {
        foreach ($doc in $ci, $consumer) {
            $steps = @(Get-PowerShellStep $doc)
            $steps.Count | Should -BeGreaterThan 0
            foreach ($s in $steps | Where-Object { -not $_.Pwsh }) {
                "$($s.Job) $($s.Kind)" | Should -Be 'test_windows powershell' -Because 'a PowerShell@2 task without pwsh: true runs Windows PowerShell 5.1 on Windows'
            }
        }
        @(Get-PowerShellStep $ci | Where-Object Kind -eq 'task').Count | Should -BeGreaterThan 0
        $ciText | Should -Match '(?m)^\s*#.*PowerShell@2 task runs Windows PowerShell 5\.1[\s\S]*?pwsh: true'
    }

    It 'has PowerShell steps the analyzer finds nothing in' {
        if (-not (Get-Module -ListAvailable PSScriptAnalyzer)) { $env:PSModulePath = (Join-Path $root 'tools/modules') + [IO.Path]::PathSeparator + $env:PSModulePath }
        if ($PSVersionTable.PSEdition -ne 'Core' -and -not (Get-Module -ListAvailable PSScriptAnalyzer)) { Set-ItResult -Skipped -Because 'the vendored PSScriptAnalyzer is built for PowerShell 7'; return }
        Import-Module PSScriptAnalyzer
        $settings = Join-Path $root 'PSScriptAnalyzerSettings.psd1'
        foreach ($doc in $ci, $consumer) {
            foreach ($s in Get-PowerShellStep $doc) {
                $found = @(Invoke-ScriptAnalyzer -ScriptDefinition $s.Script -Settings $settings)
                $found | Should -BeNullOrEmpty -Because ("job $($s.Job): " + (($found | ForEach-Object { "line $($_.Line) $($_.RuleName): $($_.Message)" }) -join '; '))
            }
        }
    }

    It 'finds what is wrong in a broken pipeline (the check can fail)' {
        $broken = ConvertFrom-Yaml @'
trigger: none
jobz: []
jobs:
- job: a
  dependsOn: nothere
  steps:
  - script: echo hi
    pwsh: echo hi
  - task: PublishTestResults
  - scirpt: typo
'@
        $problems = @(Test-PipelineStructure $broken)
        ($problems -join "`n") | Should -Match "unknown top-level key 'jobz'"
        ($problems -join "`n") | Should -Match "depends on 'nothere'"
        ($problems -join "`n") | Should -Match '2 kinds of step'
        ($problems -join "`n") | Should -Match 'not Name@MajorVersion'
        ($problems -join "`n") | Should -Match "unknown key 'scirpt'"
    }
}

Describe 'Pipeline examples for users' -Tag 'Unit', 'Pipelines' {
    BeforeEach {
        if ($yamlReason) { Set-ItResult -Skipped -Because $yamlReason }
    }

    It 'docs/azure-pipelines.consumer-example.yml is well-formed' {
        $problems = @(Test-PipelineStructure (ConvertFrom-Yaml (Get-Content (Join-Path $root 'docs/azure-pipelines.consumer-example.yml') -Raw)))
        $problems | Should -BeNullOrEmpty -Because ($problems -join '; ')
    }

    It 'the README''s parallel-jobs example is well-formed and merges its shards' {
        $text = (Get-Content (Join-Path $root 'README.md') -Raw) -replace "`r`n", "`n"
        $yaml = @([regex]::Matches($text, '(?m)^```yaml\n([\s\S]*?)\n```') | ForEach-Object { $_.Groups[1].Value })
        $yaml.Count | Should -BeGreaterThan 0
        foreach ($y in $yaml) {
            $doc = ConvertFrom-Yaml $y
            $problems = @(Test-PipelineStructure $doc)
            $problems | Should -BeNullOrEmpty -Because ($problems -join '; ')
        }
        ($yaml -join "`n") | Should -Match 'Merge-RapidResult'
    }
}

# The regression job's PowerShell steps, taken from the YAML and run in a fresh pwsh against a local mock,
# with the pipeline variables they use replaced by temporary folders: the first run has no baseline (a new
# pipeline), the second gets what the first published where the download step puts it.
Describe 'azure-pipelines.yml regression job, dry run' -Tag 'Integration', 'Pipelines' {
    BeforeAll {
        if (-not $yamlReason) {
            $job = $jobsByName['regression']
            $agent = Join-Path $TestDrive 'agent'
            $variables = @{
                'Build.SourcesDirectory'         = $root
                'Build.ArtifactStagingDirectory' = (Join-Path $agent 'a')
                'Pipeline.Workspace'             = (Join-Path $agent 'w')
            }
            # $(Name) macros as Azure expands them before the script runs; one the test does not know fails it.
            function Expand-Macro([string] $Text) {
                [regex]::Replace($Text, '\$\(([A-Za-z][A-Za-z0-9_.]*)\)', [Text.RegularExpressions.MatchEvaluator] {
                        param($m)
                        $name = $m.Groups[1].Value
                        if (-not $variables.ContainsKey($name)) { throw "The step uses `$($name), which the dry run does not set." }
                        $variables[$name]
                    })
            }
            $download = @(Get-Step $job 'task' | Where-Object task -eq 'DownloadPipelineArtifact@2')[0]
            $publish = @(Get-Step $job 'task' | Where-Object task -eq 'PublishPipelineArtifact@1')[0]
            $scripts = @(Get-PowerShellStep ([pscustomobject]@{ jobs = @($job) }) | ForEach-Object { Expand-Macro $_.Script })

            # Each step in a fresh pwsh, as PowerShell@2 with pwsh: true runs it (the sources folder as working
            # directory, TF_BUILD set, no RAPID_* variables of the test run leaking in).
            function Invoke-Step([string] $Script, [int] $Number) {
                $file = Join-Path $agent "step$Number.ps1"
                Set-Content -Path $file -Value $Script -Encoding utf8
                $psi = [Diagnostics.ProcessStartInfo]::new('dotnet')
                foreach ($arg in 'pwsh', '-NoLogo', '-NoProfile', '-NonInteractive', '-File', $file) { $psi.ArgumentList.Add($arg) }
                $psi.WorkingDirectory = $root
                $psi.UseShellExecute = $false
                $psi.RedirectStandardOutput = $true
                $psi.RedirectStandardError = $true
                foreach ($key in @($psi.Environment.Keys | Where-Object { $_ -like 'RAPID_*' })) { $null = $psi.Environment.Remove($key) }
                $psi.Environment['TF_BUILD'] = 'True'
                $p = [Diagnostics.Process]::Start($psi)
                $out = $p.StandardOutput.ReadToEndAsync(); $err = $p.StandardError.ReadToEndAsync()
                if (-not $p.WaitForExit(120000)) { $p.Kill(); throw 'The step did not finish in 120 s.' }
                [pscustomobject]@{ ExitCode = $p.ExitCode; Output = $out.Result; Error = $err.Result }
            }

            function Invoke-Job([int] $Run) {
                Remove-Item -LiteralPath $variables['Build.ArtifactStagingDirectory'] -Recurse -Force -ErrorAction SilentlyContinue
                New-Item -ItemType Directory -Path $variables['Build.ArtifactStagingDirectory'], $variables['Pipeline.Workspace'] -Force | Out-Null
                $i = 0
                foreach ($s in $scripts) { $i++; Invoke-Step $s ($Run * 10 + $i) }
            }

            function Get-Summary([string] $Output) {
                $line = @($Output -split "`r?`n" | Where-Object { $_ -like '##vso`[task.uploadsummary`]*' })
                $line.Count | Should -Be 1 -Because 'the step uploads one summary'
                $line[0].Substring('##vso[task.uploadsummary]'.Length)
            }
        }
    }
    BeforeEach {
        if ($yamlReason) { Set-ItResult -Skipped -Because $yamlReason }
    }

    It 'has one PowerShell step to run, using only the variables the dry run sets' {
        $scripts.Count | Should -Be 1
        $scripts[0] | Should -Not -Match '\$\([A-Za-z][A-Za-z0-9_]*\.'
    }

    It 'runs on a new pipeline with no baseline: NoBaseline, passing, and publishes its result' {
        $baseline = Expand-Macro $download.inputs.path
        Test-Path $baseline | Should -BeFalse
        $steps = @(Invoke-Job 1)
        $steps[0].ExitCode | Should -Be 0 -Because "$($steps[0].Output)`n$($steps[0].Error)"
        $steps[0].Output | Should -Match 'WARNING: .*baseline' -Because 'a missing baseline is a warning'
        $summary = Get-Summary $steps[0].Output
        $summary | Should -Exist
        $summary | Should -Be ([IO.Path]::GetFullPath((Join-Path $variables['Build.ArtifactStagingDirectory'] 'regressions.md')))
        Get-Content $summary -Raw | Should -Match '\| NoBaseline \| Benchmark \| LatencyP99 \|'
        $junit = [xml] (Get-Content (Expand-Macro (@(Get-Step $job 'task' | Where-Object task -eq 'PublishTestResults@2')[0].inputs.testResultsFiles)) -Raw)
        @($junit.testsuites.testsuite.testcase).Count | Should -BeGreaterThan 5
        [int] $junit.testsuites.failures | Should -Be 0
        $published = Expand-Macro $publish.inputs.targetPath
        @(Get-ChildItem $published -Filter *.json).Count | Should -Be 1
        # The download step of the next run puts this artifact where the script reads its baseline.
        Copy-Item -Path $published -Destination $baseline -Recurse
    }

    It 'judges the next run against what the first published' {
        Expand-Macro $download.inputs.path | Get-ChildItem -Filter *.json | Should -Not -BeNullOrEmpty
        $steps = @(Invoke-Job 2)
        $summary = Get-Summary $steps[0].Output
        $text = Get-Content $summary -Raw
        $text | Should -Not -Match 'NoBaseline'
        # Regressed and Improved rows carry a mark (❌, ✅) before the verdict.
        $text | Should -Match '\| (❌ Regressed|✅ Improved|Unchanged|NotJudged) \| Benchmark \| LatencyP50 \|'
        $junit = [xml] (Get-Content (Join-Path $variables['Build.ArtifactStagingDirectory'] 'regressions.xml') -Raw)
        $failures = [int] $junit.testsuites.failures
        # Two runs on a shared machine: the verdict is the bench's business (bench/Regressions.ps1). What must
        # hold is that a regression fails the step and shows in both reports, and none passes it.
        if ($steps[0].ExitCode -eq 0) { $failures | Should -Be 0 }
        else {
            $failures | Should -BeGreaterThan 0 -Because "$($steps[0].Output)`n$($steps[0].Error)"
            $steps[0].Error | Should -Match 'Regression'
            $text | Should -Match '\| ❌ Regressed \|'
        }
    }
}
