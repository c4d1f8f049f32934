<#
.SYNOPSIS
    Runs PSScriptAnalyzer over the repository's PowerShell files and over the PowerShell code blocks of
    README.md and help/*.md, with the repository's settings. Writes one object per finding.
.DESCRIPTION
    Uses an installed PSScriptAnalyzer, or else the copy in tools/modules (see README.md, "Analyzer").
    Leaves out what the repository does not own: tools/modules (the vendored analyzer itself) and build
    output (out/, bin/, obj/). Used by build.ps1 -Task Analyze and by tests/Pester/Analyzer.Tests.ps1.
.OUTPUTS
    PSCustomObject: Source (file, or file#block n for a code block), Line, RuleName, Severity, Message.
#>
[CmdletBinding()]
param(
    # The repository root.
    [string] $Root = (Split-Path $PSScriptRoot -Parent),

    # Only list what would be analyzed (files and code blocks), without analyzing.
    [switch] $ListOnly
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

function Import-Analyzer {
    if (Get-Module PSScriptAnalyzer) { return }
    if (-not (Get-Module -ListAvailable PSScriptAnalyzer)) {
        $vendored = Join-Path $Root 'tools/modules'
        $env:PSModulePath = $vendored + [IO.Path]::PathSeparator + $env:PSModulePath
    }
    Import-Module PSScriptAnalyzer -MinimumVersion 1.21.0
}

# The PowerShell files the repository owns.
function Get-ScriptFile {
    $skip = [regex] '[\\/](out|bin|obj|\.git|tools[\\/]modules)[\\/]'
    Get-ChildItem $Root -Recurse -File -Include '*.ps1', '*.psm1', '*.psd1' |
        Where-Object { -not $skip.IsMatch($_.FullName.Substring($Root.Length)) } |
        Sort-Object FullName
}

# The ```powershell code blocks of README.md and help/*.md.
function Get-CodeBlock {
    $docs = @(Get-Item (Join-Path $Root 'README.md')) + @(Get-ChildItem (Join-Path $Root 'help') -Filter *.md | Sort-Object Name)
    foreach ($doc in $docs) {
        $text = (Get-Content $doc.FullName -Raw) -replace "`r`n", "`n"
        $n = 0
        foreach ($m in [regex]::Matches($text, '(?m)^```(?:powershell|pwsh|ps1)[ \t]*\n([\s\S]*?)\n```[ \t]*$')) {
            $n++
            [pscustomobject]@{
                Source = "$($doc.Name)#block$n"
                Line   = ($text.Substring(0, $m.Index) -split "`n").Count + 1
                Code   = $m.Groups[1].Value
            }
        }
    }
}

$files = @(Get-ScriptFile)
$blocks = @(Get-CodeBlock)
if ($ListOnly) {
    $files | ForEach-Object { [pscustomobject]@{ Source = $_.FullName.Substring($Root.Length + 1); Kind = 'File' } }
    $blocks | ForEach-Object { [pscustomobject]@{ Source = $_.Source; Kind = 'CodeBlock' } }
    return
}

Import-Analyzer
$settings = Join-Path $Root 'PSScriptAnalyzerSettings.psd1'
foreach ($file in $files) {
    foreach ($f in Invoke-ScriptAnalyzer -Path $file.FullName -Settings $settings) {
        [pscustomobject]@{ Source = $file.FullName.Substring($Root.Length + 1); Line = $f.Line; RuleName = $f.RuleName; Severity = "$($f.Severity)"; Message = $f.Message }
    }
}
foreach ($block in $blocks) {
    # A Pester example sets variables in BeforeAll and reads them in It, which this rule does not follow
    # (the test files say the same with a SuppressMessageAttribute; an example has no place for one).
    $pester = $block.Code -match '(?m)^\s*(Describe|BeforeAll)\b'
    foreach ($f in Invoke-ScriptAnalyzer -ScriptDefinition $block.Code -Settings $settings) {
        if ($pester -and $f.RuleName -eq 'PSUseDeclaredVarsMoreThanAssignments') { continue }
        [pscustomobject]@{ Source = $block.Source; Line = $block.Line + $f.Line - 1; RuleName = $f.RuleName; Severity = "$($f.Severity)"; Message = $f.Message }
    }
}
