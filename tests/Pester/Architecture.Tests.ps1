# docs/ARCHITECTURE.md is the map of the code: its dependency table must match what src/ really uses.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
param()

BeforeDiscovery {
    $root = Join-Path $PSScriptRoot '../..'
    $doc = Get-Content (Join-Path $root 'docs/ARCHITECTURE.md') -Raw
    $table = [regex]::Match($doc, '(?s)<!-- dependencies: start -->(.*?)<!-- dependencies: end -->').Groups[1].Value
    $script:documented = @{}
    foreach ($line in $table -split "`n") {
        if ($line -match '^\|\s*([^|]+?)\s*\|\s*([^|]*?)\s*\|\s*$' -and $Matches[1] -notin 'folder', '---') {
            $script:documented[$Matches[1]] = @($Matches[2] -split ',\s*' | Where-Object { $_ })
        }
    }
    $src = Join-Path $root 'src/RapidMessageTools'
    $folders = @(Get-ChildItem $src -Directory | Where-Object Name -NotIn 'bin', 'obj' | ForEach-Object Name) + '(root)'
    $cases = foreach ($f in $folders) { @{ Folder = $f; Listed = $script:documented.ContainsKey($f); Documented = @($script:documented[$f]); Source = $src } }
}

Describe 'docs/ARCHITECTURE.md' -Tag 'Unit' {
    It 'lists every folder of src/ (<Folder>)' -ForEach $cases {
        $Listed | Should -BeTrue -Because "the table must have a row for $Folder (a folder that uses nothing has an empty 'uses' cell)"
    }

    It '<Folder> uses exactly the folders the table lists' -ForEach $cases {
        $files = if ($Folder -eq '(root)') { Get-ChildItem $Source -Filter *.cs -File } else { Get-ChildItem (Join-Path $Source $Folder) -Filter *.cs -File -Recurse }
        $self = if ($Folder -eq '(root)') { '' } else { $Folder }
        $used = foreach ($file in $files) {
            $text = Get-Content $file.FullName -Raw
            [regex]::Matches($text, '(?m)^using RapidMessageTools\.(\w+)\s*;') | ForEach-Object { $_.Groups[1].Value }
            [regex]::Matches($text, '(?<![\w.])RapidMessageTools\.(\w+)\.') | ForEach-Object { $_.Groups[1].Value }
        }
        $actual = @($used | Where-Object { $_ -ne $self } | Sort-Object -Unique)
        $expected = @($Documented | Sort-Object -Unique)
        ($actual -join ', ') | Should -Be ($expected -join ', ') -Because "the 'using' lines of $Folder must match the table"
    }

    It 'has no folder that uses Commands, and no core folder that uses PowerShell' {
        $core = Get-ChildItem (Join-Path $PSScriptRoot '../../src/RapidMessageTools') -Filter *.cs -Recurse |
            Where-Object { $_.FullName -notmatch '[\\/](Commands|obj|bin)[\\/]' }
        foreach ($file in $core) {
            Get-Content $file.FullName -Raw | Should -Not -Match 'using System\.Management\.Automation' -Because $file.Name
        }
    }
}
