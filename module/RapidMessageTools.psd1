@{
    RootModule           = 'RapidMessageTools.dll'
    # Stamped by build.ps1 from Directory.Build.props (the one place the version is kept).
    ModuleVersion        = '0.0.0'
    GUID                 = '5a0f3c47-2e8b-4d51-9b6e-7c1f0e9a2d34'
    Author               = 'RapidMessageTools contributors'
    CompanyName          = 'RapidMessageTools'
    Copyright            = '(c) RapidMessageTools contributors. MIT License.'
    Description          = 'Tests WebSocket chat and AI-agent backends under rapid message succession: ordering, idempotency, backpressure, state consistency and latency, with a stateful mock backend.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    DotNetFrameworkVersion = '4.7.2'
    FormatsToProcess     = @('RapidMessageTools.Format.ps1xml')
    TypesToProcess       = @('RapidMessageTools.Types.ps1xml')
    CmdletsToExport      = @(
        'Start-RapidMockServer'
        'Stop-RapidMockServer'
        'Get-RapidMockServer'
        'Test-RapidEnvironment'
        'Get-RapidTestToken'
        'Get-RapidScenario'
        'Invoke-RapidScenario'
        'Merge-RapidResult'
        'Export-RapidReport'
        'Find-RapidCapacity'
        'Test-RapidProtocol'
        'Export-RapidResult'
        'Import-RapidResult'
        'Compare-RapidResult'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('WebSocket', 'Testing', 'LoadTesting', 'Pester', 'AI', 'Chat', 'Mock', 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
            # Stamped by build.ps1 from this version's section of CHANGELOG.md.
            ReleaseNotes = ''
        }
    }
}
