# Shards on real PowerShell remoting: an sshd on 127.0.0.1 with pwsh as its powershell subsystem and a
# key made for the test; three shards run through Invoke-Command -HostName and merge into what one
# process doing the same work reports. The README's and the help's remoting and job examples run here
# with only their machine names, URL and sizes replaced.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll are read in It blocks, which the rule does not follow')]
param()

BeforeAll {
    Import-Module RapidMessageTools -Force
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    . (Join-Path $PSScriptRoot 'Helpers/Shards.ps1')
    . (Join-Path $PSScriptRoot 'Helpers/FreshPwsh.ps1')

    # The first ```powershell block of a Markdown file that contains $Marker.
    function Get-DocBlock([string] $Path, [string] $Marker) {
        $text = (Get-Content $Path -Raw) -replace "`r`n", "`n"
        $blocks = [regex]::Matches($text, '(?m)^```powershell\n([\s\S]*?)\n```') | ForEach-Object { $_.Groups[1].Value }
        $block = @($blocks | Where-Object { $_.Contains($Marker) })[0]
        $block | Should -Not -BeNullOrEmpty -Because "$Path has a PowerShell example with '$Marker'"
        $block
    }

    # Replaces each key of $Map by its value in $Code, failing when one is not there (the example changed).
    function ConvertTo-LocalExample([string] $Code, [System.Collections.Specialized.OrderedDictionary] $Map) {
        foreach ($k in $Map.Keys) {
            $Code.Contains($k) | Should -BeTrue -Because "the example still says: $k"
            $Code = $Code.Replace($k, $Map[$k])
        }
        $Code
    }

    # Why sshd cannot run here, or $null.
    function Get-SshdUnavailableReason {
        if (-not ($IsLinux -or $IsMacOS)) { return 'the test runs OpenSSH''s sshd, which it starts on Linux and macOS' }
        if (-not (Test-Path /usr/sbin/sshd)) { return 'sshd is not installed here (apt-get install openssh-server; .ci/run installs it)' }
        if (-not (Get-Command ssh-keygen -ErrorAction SilentlyContinue) -or -not (Get-Command ssh -ErrorAction SilentlyContinue)) { return 'the OpenSSH client (ssh, ssh-keygen) is not installed (apt-get install openssh-client)' }
        if (-not (Test-Path /run/sshd) -and (id -u) -ne '0') { return 'sshd needs its privilege separation directory /run/sshd, which only root can make here' }
        $null
    }

    $reason = Get-SshdUnavailableReason
    if ($reason -and $env:RAPID_REQUIRE_SSHD -eq '1') { throw "RAPID_REQUIRE_SSHD=1 (CI) but $reason." }
    $server = Start-RapidMockServer
    $count = 3000
    $sshd = $null
    if (-not $reason) {
        $dir = Join-Path $TestDrive 'ssh'
        New-Item -ItemType Directory $dir | Out-Null
        foreach ($key in 'host_key', 'user_key') {
            & ssh-keygen -q -t ed25519 -N '' -C rapid-test -f (Join-Path $dir $key) | Out-Null
            if ($LASTEXITCODE -ne 0) { throw "ssh-keygen failed to make $key (exit code $LASTEXITCODE)." }
        }
        Copy-Item (Join-Path $dir 'user_key.pub') (Join-Path $dir 'authorized_keys')
        # sshd refuses to start without its privilege separation directory (made by the service, which is not running).
        if (-not (Test-Path /run/sshd)) { New-Item -ItemType Directory /run/sshd | Out-Null }

        $pwsh = Get-PwshCommandLine
        $subsystem = (@($pwsh.File) + @($pwsh.Prefix) + @('-sshs', '-NoLogo', '-NoProfile')) -join ' '
        $moduleRoot = Split-Path (Get-Module RapidMessageTools).ModuleBase -Parent
        $user = [Environment]::UserName
        foreach ($attempt in 1..5) {
            # sshd cannot listen on port 0: take a free port from the system, release it, and retry on a conflict.
            $probe = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
            $probe.Start(); $port = $probe.LocalEndpoint.Port; $probe.Stop()
            $config = Join-Path $dir 'sshd_config'
            @(
                'ListenAddress 127.0.0.1'
                "Port $port"
                "HostKey $dir/host_key"
                "AuthorizedKeysFile $dir/authorized_keys"
                "PidFile $dir/sshd.pid"
                'UsePAM no'
                'StrictModes no'
                'PasswordAuthentication no'
                'KbdInteractiveAuthentication no'
                'PubkeyAuthentication yes'
                'PermitRootLogin prohibit-password'
                "AllowUsers $user"
                "SetEnv PSModulePath=$moduleRoot"
                "Subsystem powershell $subsystem"
            ) | Set-Content $config
            $log = Join-Path $dir "sshd-$attempt.log"
            $psi = [Diagnostics.ProcessStartInfo]::new('/usr/sbin/sshd')
            foreach ($a in '-D', '-E', $log, '-f', $config) { $psi.ArgumentList.Add($a) }
            $psi.UseShellExecute = $false
            $sshd = [Diagnostics.Process]::Start($psi)
            $deadline = [DateTime]::UtcNow.AddSeconds(15)
            $listening = { (Test-Path $log) -and (Select-String -Path $log -Pattern 'Server listening' -SimpleMatch -Quiet) }
            while (-not $sshd.HasExited -and -not (& $listening) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            if (-not $sshd.HasExited -and (& $listening)) { break }
            if (-not $sshd.HasExited) { $sshd.Kill() }
            $sshd = $null
            $sshdLog = if (Test-Path $log) { Get-Content $log -Raw } else { 'no log' }
        }
        if (-not $sshd) { throw "sshd did not start on 127.0.0.1 in 5 attempts: $($sshdLog -join ' | ')" }
        $ssh = @{
            Port        = $port
            UserName    = $user
            KeyFilePath = Join-Path $dir 'user_key'
            Options     = @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = (Join-Path $dir 'known_hosts'); LogLevel = 'ERROR' }
        }
    }
}

AfterAll {
    Get-Job | Where-Object Name -like 'RapidRemote*' | Remove-Job -Force
    if ($sshd -and -not $sshd.HasExited) {
        # Stop sshd by its pid, and the sessions it started with it.
        $sshd.Kill($true)
        $null = $sshd.WaitForExit(10000)
    }
    if ($server) { $server | Stop-RapidMockServer }
}

Describe 'Shards over SSH remoting' -Tag 'Integration', 'Remoting', 'Slow' {
    BeforeEach {
        if ($reason) { Set-ItResult -Skipped -Because $reason }
    }

    It 'answers from a remote pwsh that has the module' {
        $r = Invoke-Command -HostName 127.0.0.1 @ssh -ScriptBlock {
            Import-Module RapidMessageTools
            [pscustomobject]@{ Edition = $PSVersionTable.PSEdition; Module = (Get-Module RapidMessageTools).ModuleBase; Process = $PID }
        }
        $r.Edition | Should -Be 'Core'
        $r.Module | Should -Be (Get-Module RapidMessageTools).ModuleBase
        $r.Process | Should -Not -Be $PID -Because 'the remote session is another process'
    }

    It 'Invoke-Command -HostName: three shards, merged, equal one process' {
        $jobs = foreach ($i in 1..3) {
            Invoke-Command -HostName 127.0.0.1 @ssh -AsJob -JobName "RapidRemote$i" -ScriptBlock $ShardScript -ArgumentList $i, 3, $server.Url, $count
        }
        $null = $jobs | Wait-Job -Timeout 300
        @($jobs.State) | Should -Be @('Completed', 'Completed', 'Completed') -Because "each shard completes ($(($jobs | ForEach-Object { $_.JobStateInfo.Reason }) -join '; '))"
        $output = @($jobs | Receive-Job)
        $shards = Split-ShardOutput $output
        $shards.Encoded | Should -Be 3 -Because "each shard sends its histogram as a string too (got: $(($shards.Results | ForEach-Object { $_.PSObject.TypeNames[0] }) -join ', '))"
        $shards.Results.Count | Should -Be 3
        $shards.Results | ForEach-Object { $_.PSObject.TypeNames[0] | Should -BeLike 'Deserialized.*' }
        $merged = $shards.Results | Merge-RapidResult -WarningVariable warnings
        $warnings | Should -BeNullOrEmpty
        $single = Invoke-RapidScenario Benchmark -Url $server.Url -MessageCount $count -Connections 3
        Assert-MergeIsWhole $merged $single $shards.Reference
    }

    It 'runs the README''s remoting example, with loopback for the machines' {
        $code = ConvertTo-LocalExample (Get-DocBlock (Join-Path $root 'README.md') 'Invoke-Command') ([ordered]@{
                "'wss://chat.example.com/ws'"       = "'$($server.Url)'"
                "'load1', 'load2', 'load3'"         = "'127.0.0.1', '127.0.0.1', '127.0.0.1'"
                '-ComputerName $machines[$i - 1]'   = '-HostName $machines[$i - 1] @ssh'
                '-MessageCount 300000'              = "-MessageCount $count"
            })
        $merged = @(& ([scriptblock]::Create($code)))
        $merged.Count | Should -Be 1
        $merged[0].Sent | Should -Be $count
        $merged[0].Delivered | Should -Be $count
        $merged[0].Histogram.TotalCount | Should -Be $count
        $merged[0].Latency.Count | Should -Be $count
        @(($merged[0].Shard -split '/')[0] -split ',' | Sort-Object) | Should -Be @('1', '2', '3')
        $merged[0].Passed | Should -BeTrue -Because ($merged[0].Violations -join '; ')
    }

    It 'runs Merge-RapidResult''s remoting example, with loopback for the machines' {
        $code = ConvertTo-LocalExample (Get-DocBlock (Join-Path $root 'help/Merge-RapidResult.md') 'Invoke-Command') ([ordered]@{
                "'wss://chat.example.com/ws'"     = "'$($server.Url)'"
                "'load1', 'load2'"                = "'127.0.0.1', '127.0.0.1'"
                '-ComputerName $machines[$i - 1]' = '-HostName $machines[$i - 1] @ssh'
                '-MessageCount 200000'            = "-MessageCount 2000"
            })
        $merged = @(& ([scriptblock]::Create($code)))
        $merged.Count | Should -Be 1
        $merged[0].Sent | Should -Be 2000
        $merged[0].Histogram.TotalCount | Should -Be 2000
        $merged[0].Passed | Should -BeTrue -Because ($merged[0].Violations -join '; ')
    }
}

Describe 'The job examples, run here' -Tag 'Integration', 'Slow' {
    It 'runs Merge-RapidResult''s Start-Job example' {
        $code = ConvertTo-LocalExample (Get-DocBlock (Join-Path $root 'help/Merge-RapidResult.md') 'Start-Job') ([ordered]@{
                '-MessageCount 40000' = '-MessageCount 4000'
            })
        $merged = @(& ([scriptblock]::Create($code)))
        $merged.Count | Should -Be 1
        $merged[0].Sent | Should -Be 4000
        $merged[0].Delivered | Should -Be 4000
        $merged[0].Histogram.TotalCount | Should -Be 4000
        @(($merged[0].Shard -split '/')[0] -split ',' | Sort-Object) | Should -Be @('1', '2', '3', '4')
        $merged[0].Passed | Should -BeTrue -Because ($merged[0].Violations -join '; ')
    }
}
