# Settings for `build.ps1 -Task Analyze` (PSScriptAnalyzer runs when it is installed).
@{
    Severity     = @('Error', 'Warning')
    ExcludeRules = @(
        # Build, demo and bench scripts talk to the person running them.
        'PSAvoidUsingWriteHost'
    )
    Rules        = @{
        PSUseCompatibleSyntax = @{ Enable = $true; TargetVersions = @('5.1', '7.4') }
    }
}
