# What Windows PowerShell 5.1 and Windows support rests on, tested here as far as Linux allows (README,
# "What runs where"): the assembly resolver that loads the netstandard dependencies from the module
# folder on .NET Framework, and the mock's http.sys fallback to localhost when a non-administrator may
# not register 127.0.0.1 (simulated: the start is refused with error 5 as http.sys refuses it).
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll are read in It blocks, which the rule does not follow')]
param()

BeforeAll {
    Import-Module RapidMessageTools -Force
    $moduleDirectory = Split-Path ([RapidMessageTools.RapidTestHooks].Assembly.Location) -Parent
}

Describe 'The assembly resolver (Windows PowerShell 5.1)' -Tag 'Unit' {
    It 'is attached on .NET Framework only: <Framework> -> <Expected>' -ForEach @(
        @{ Framework = '.NET Framework 4.8.9290.0'; Expected = $true }
        @{ Framework = '.NET Framework 4.7.2'; Expected = $true }
        @{ Framework = '.NET 10.0.1'; Expected = $false }
        @{ Framework = '.NET Core 3.1.32'; Expected = $false }
    ) {
        [RapidMessageTools.RapidTestHooks]::ModuleNeedsAssemblyResolver($Framework) | Should -Be $Expected
    }

    It 'loads a dependency from the module folder by simple name, whatever version is asked for' {
        foreach ($request in 'System.Text.Json, Version=8.0.0.0, Culture=neutral, PublicKeyToken=cc7b13ffcd2ddd51',
            'System.Memory, Version=4.0.1.2, Culture=neutral, PublicKeyToken=cc7b13ffcd2ddd51',
            'System.Runtime.CompilerServices.Unsafe, Version=1.0.0.0, Culture=neutral, PublicKeyToken=b03f5f7f11d50a3a') {
            $name = ($request -split ',')[0]
            [RapidMessageTools.RapidTestHooks]::ResolveModuleAssembly($moduleDirectory, $request) | Should -Be (Join-Path $moduleDirectory "$name.dll")
        }
    }

    It 'leaves what the module does not ship to the runtime (null)' {
        [RapidMessageTools.RapidTestHooks]::ResolveModuleAssembly($moduleDirectory, 'No.Such.Assembly, Version=1.0.0.0') | Should -BeNullOrEmpty
        [RapidMessageTools.RapidTestHooks]::ResolveModuleAssembly($moduleDirectory, 'System.Management.Automation, Version=3.0.0.0') | Should -BeNullOrEmpty
    }

    It 'finds every assembly the module''s dlls reference, but the framework''s own, in the module folder' {
        if ($PSVersionTable.PSEdition -ne 'Core') { Set-ItResult -Skipped -Because 'reads metadata with System.Reflection.Metadata, part of .NET only'; return }
        # Framework assemblies .NET Framework 4.7.2 and PowerShell bring themselves. HdrHistogram is a
        # netstandard1.x build: it references contract assemblies that .NET Framework carries as facades
        # (README, "What runs where": its System.IO.Compression 4.1.1.0 is newer than the framework's
        # 4.0.0.0, and whether that binds on 5.1 without a redirect has not been run). A new reference of
        # any dll fails this test until it ships in the module folder or is added here with its reason.
        $framework = 'netstandard', 'mscorlib', 'System', 'System.Core', 'System.Management.Automation',
            'System.Runtime', 'System.Text.RegularExpressions', 'System.IO', 'System.IO.Compression', 'System.Reflection',
            'System.Diagnostics.Debug', 'System.Threading.Tasks', 'System.Threading', 'System.Runtime.Extensions', 'System.Linq',
            'System.Text.Encoding', 'System.Net.Primitives', 'System.Collections'
        $missing = [Collections.Generic.List[string]]::new()
        $seen = @{}
        $queue = [Collections.Generic.Queue[string]]::new()
        $queue.Enqueue('RapidMessageTools')
        while ($queue.Count -gt 0) {
            $name = $queue.Dequeue()
            if ($seen.ContainsKey($name)) { continue }
            $seen[$name] = $true
            $path = [RapidMessageTools.RapidTestHooks]::ResolveModuleAssembly($moduleDirectory, $name)
            if (-not $path) { $missing.Add($name); continue }
            $stream = [IO.File]::OpenRead($path)
            try {
                $pe = [Reflection.PortableExecutable.PEReader]::new($stream)
                $md = [Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($pe)
                foreach ($handle in $md.AssemblyReferences) {
                    $reference = $md.GetString($md.GetAssemblyReference($handle).Name)
                    if ($reference -notin $framework) { $queue.Enqueue($reference) }
                }
                $pe.Dispose()
            }
            finally { $stream.Dispose() }
        }
        $missing | Should -BeNullOrEmpty -Because 'on .NET Framework nothing else would load them'
        $seen.Keys | Should -Contain 'System.Text.Json'
        $seen.Keys | Should -Contain 'System.Memory'
        $seen.Keys | Should -Contain 'HdrHistogram'
    }
}

Describe 'The mock''s http.sys localhost fallback (Windows)' -Tag 'Unit' {
    It 'registers localhost first on Windows, 127.0.0.1 first elsewhere, both either way' {
        [RapidMessageTools.RapidTestHooks]::MockPrefixes('127.0.0.1', 8080, $true) | Should -Be 'http://localhost:8080/', 'http://127.0.0.1:8080/'
        [RapidMessageTools.RapidTestHooks]::MockPrefixes('127.0.0.1', 8080, $false) | Should -Be 'http://127.0.0.1:8080/', 'http://localhost:8080/'
        [RapidMessageTools.RapidTestHooks]::MockPrefixes('0.0.0.0', 8080, $true) | Should -Be 'http://*:8080/'
    }

    It 'falls back to localhost alone on access denied (5) for 127.0.0.1 only: <Code> <Host_> -> <Expected>' -ForEach @(
        @{ Code = 5; Host_ = '127.0.0.1'; Expected = $true }
        @{ Code = 32; Host_ = '127.0.0.1'; Expected = $false }
        @{ Code = 5; Host_ = 'localhost'; Expected = $false }
        @{ Code = 5; Host_ = '0.0.0.0'; Expected = $false }
    ) {
        [RapidMessageTools.RapidTestHooks]::MockFallsBackToLocalhost($Code, $Host_) | Should -Be $Expected
    }
}

Describe 'The mock started as a non-administrator on Windows would be (simulated)' -Tag 'Integration' {
    AfterEach { [RapidMessageTools.RapidTestHooks]::SimulateHttpSysAccessDenied = $false }

    It 'serves on localhost, names itself by it, and answers a scenario' {
        [RapidMessageTools.RapidTestHooks]::SimulateHttpSysAccessDenied = $true
        $server = Start-RapidMockServer
        try {
            $server.Url | Should -Be "ws://localhost:$($server.Port)/ws"
            $r = Invoke-RapidScenario Sequential -Url $server.Url -MessageCount 20 -NoPipelineLogging
            $r.Delivered | Should -Be 20
            $r.Passed | Should -BeTrue
        }
        finally { $server | Stop-RapidMockServer }
    }

    It 'still refuses an address that has no fallback, with the reason' {
        [RapidMessageTools.RapidTestHooks]::SimulateHttpSysAccessDenied = $true
        { Start-RapidMockServer -ListenAddress localhost } | Should -Throw '*Access is denied*'
    }

    It 'listens on 127.0.0.1 when nothing is refused (the fallback is not taken by default)' {
        $server = Start-RapidMockServer
        try { $server.Url | Should -Be "ws://127.0.0.1:$($server.Port)/ws" }
        finally { $server | Stop-RapidMockServer }
    }
}
