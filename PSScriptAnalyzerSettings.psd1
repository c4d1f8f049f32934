# Settings for `build.ps1 -Task Analyze`. No rule is excluded here: where a rule is wrong for a file
# or function, that file or function says so with a SuppressMessageAttribute and a reason.
@{
    Severity = @('Error', 'Warning')
    Rules    = @{
        PSUseCompatibleSyntax = @{ Enable = $true; TargetVersions = @('5.1', '7.4') }
    }
}
