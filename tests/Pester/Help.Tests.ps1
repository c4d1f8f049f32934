# Help for every cmdlet and parameter, as a user sees it through Get-Help (docs/ARCHITECTURE.md, "Help";
# after PSScriptAnalyzer Tests/Engine/ModuleHelp.Tests.ps1).
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'test helpers (New-*, Start-*, Remove-*) make test objects; -WhatIf has no meaning in a test')]
param()

BeforeDiscovery {
    Import-Module RapidMessageTools -Force
    $common = @([System.Management.Automation.Cmdlet]::CommonParameters) + @([System.Management.Automation.Cmdlet]::OptionalCommonParameters)
    $commandCases = @(Get-Command -Module RapidMessageTools | Sort-Object Name | ForEach-Object {
            @{
                Name       = $_.Name
                Parameters = @($_.Parameters.Keys | Where-Object { $common -notcontains $_ } | Sort-Object)
            }
        })
}

BeforeAll {
    Import-Module RapidMessageTools -Force
    $ModuleBase = (Get-Module RapidMessageTools).ModuleBase
    $HelpSource = Join-Path $PSScriptRoot '../../help'
    $MamlPath = Join-Path $ModuleBase 'en-US/RapidMessageTools.dll-Help.xml'
    $Common = @([System.Management.Automation.Cmdlet]::CommonParameters) + @([System.Management.Automation.Cmdlet]::OptionalCommonParameters)
    $CommandNames = @(Get-Command -Module RapidMessageTools | ForEach-Object Name)
}

Describe 'Module help' -Tag 'Unit' {
    It 'finds the module''s commands' {
        $CommandNames.Count | Should -BeGreaterOrEqual 8
    }

    It 'ships the MAML file as valid XML with a command for every cmdlet' {
        $MamlPath | Should -Exist
        $doc = New-Object System.Xml.XmlDocument
        { $doc.Load($MamlPath) } | Should -Not -Throw
        $doc.DocumentElement.LocalName | Should -Be 'helpItems'
        $doc.DocumentElement.NamespaceURI | Should -Be 'http://msh'
        $ns = New-Object System.Xml.XmlNamespaceManager($doc.NameTable)
        $ns.AddNamespace('command', 'http://schemas.microsoft.com/maml/dev/command/2004/10')
        $names = @($doc.SelectNodes('//command:command/command:details/command:name', $ns) | ForEach-Object { $_.InnerText.Trim() })
        $names | Should -Not -BeNullOrEmpty
        $names | Should -Be @($names | Sort-Object -Unique) -Because 'each command appears once'
        foreach ($c in $CommandNames) { $names | Should -Contain $c }
    }

    It 'resolves about_RapidMessageTools' {
        $about = Get-Help about_RapidMessageTools -ErrorAction Stop
        $about | Should -Not -BeNullOrEmpty
        ($about | Out-String) | Should -Match 'SHORT DESCRIPTION'
        Join-Path $ModuleBase 'en-US/about_RapidMessageTools.help.txt' | Should -Exist
    }

    It 'keeps the about_ topic under 80 characters a line' {
        $long = @(Get-Content (Join-Path $ModuleBase 'en-US/about_RapidMessageTools.help.txt') | Where-Object { $_.Length -ge 80 })
        $long | Should -BeNullOrEmpty
    }
}

Describe 'Help for <Name>' -Tag 'Unit' -ForEach $commandCases {
    BeforeAll {
        $help = Get-Help $Name -Full -ErrorAction Stop
    }

    It 'has a help source, help/<Name>.md' {
        Join-Path $HelpSource "$Name.md" | Should -Exist
    }

    It 'has a synopsis that is not the generated syntax line' {
        $synopsis = "$($help.Synopsis)".Trim()
        $synopsis | Should -Not -BeNullOrEmpty
        $synopsis | Should -Not -Match "^$([regex]::Escape($Name))(\s|$)" -Because 'Get-Help shows the syntax line when a cmdlet has no MAML help'
    }

    It 'has a description' {
        $text = @($help.description | ForEach-Object { $_.Text }) -join ''
        $text.Trim() | Should -Not -BeNullOrEmpty
    }

    It 'has at least two examples, each with code' {
        $examples = @($help.examples.example)
        $examples.Count | Should -BeGreaterOrEqual 2
        foreach ($example in $examples) {
            "$($example.code)".Trim() | Should -Not -BeNullOrEmpty -Because "example '$($example.title)' needs a command to paste"
        }
    }

    It 'lists exactly the cmdlet''s parameters' {
        $documented = @($help.parameters.parameter | ForEach-Object { $_.name } | Where-Object { $_ -and $Common -notcontains $_ } | Sort-Object)
        $documented | Should -Be $Parameters
    }

    It 'describes -<_>' -ForEach $Parameters {
        $p = Get-Help $Name -Parameter $_ -ErrorAction Stop
        $text = @($p.description | ForEach-Object { $_.Text }) -join ''
        $text.Trim() | Should -Not -BeNullOrEmpty
    }
}

Describe 'Build-Help.ps1' -Tag 'Unit' {
    BeforeAll {
        $generator = Join-Path $HelpSource 'Build-Help.ps1'
        # A copy of the built module (the generator reads the cmdlets from the destination's parent).
        $module = Join-Path $TestDrive 'RapidMessageTools'
        Copy-Item $ModuleBase $module -Recurse
        Remove-Item (Join-Path $module 'en-US') -Recurse -Force

        function New-HelpSource([string] $Path) {
            if (Test-Path $Path) { Remove-Item $Path -Recurse -Force }
            New-Item -ItemType Directory $Path | Out-Null
            Get-ChildItem $HelpSource -File | Where-Object Extension -in '.md', '.txt' | Copy-Item -Destination $Path
            $Path
        }
    }

    It 'fails naming the file when a required section is missing' {
        $src = New-HelpSource (Join-Path $TestDrive 'no-description')
        $file = Join-Path $src 'Get-RapidMockServer.md'
        [regex]::Replace((Get-Content $file -Raw), '## DESCRIPTION\r?\n[\s\S]*?(?=## PARAMETERS)', '') | Set-Content $file
        { & $generator -Source $src -Destination (Join-Path $module 'en-US') -WarningAction SilentlyContinue } |
            Should -Throw -ExpectedMessage '*Get-RapidMockServer.md*DESCRIPTION*'
    }

    It 'fails naming the file and example when an example has no code block' {
        $src = New-HelpSource (Join-Path $TestDrive 'no-code')
        $file = Join-Path $src 'Get-RapidScenario.md'
        $text = Get-Content $file -Raw
        $text = [regex]::Replace($text, '(### Example 1[^\n]*\n)```[a-z]*\n[\s\S]*?\n```', '$1Prose only.')
        Set-Content $file $text
        { & $generator -Source $src -Destination (Join-Path $module 'en-US') -WarningAction SilentlyContinue } |
            Should -Throw -ExpectedMessage '*Get-RapidScenario.md*Example 1*code block*'
    }

    It 'fails naming the parameter when one is undocumented' {
        $src = New-HelpSource (Join-Path $TestDrive 'no-param')
        $file = Join-Path $src 'Stop-RapidMockServer.md'
        $text = [regex]::Replace((Get-Content $file -Raw), '### -PassThru\n[^#]*', '')
        Set-Content $file $text
        { & $generator -Source $src -Destination (Join-Path $module 'en-US') -WarningAction SilentlyContinue } |
            Should -Throw -ExpectedMessage '*Stop-RapidMockServer.md*-PassThru*'
    }

    It 'warns, listing them, about exported cmdlets without a .md, and writes the rest' {
        $src = New-HelpSource (Join-Path $TestDrive 'no-md')
        Remove-Item (Join-Path $src 'Merge-RapidResult.md')
        $dest = Join-Path $module 'en-US'
        & $generator -Source $src -Destination $dest -WarningVariable warnings -WarningAction SilentlyContinue
        ($warnings -join "`n") | Should -BeLike '*Merge-RapidResult*'
        [xml] $maml = Get-Content (Join-Path $dest 'RapidMessageTools.dll-Help.xml') -Raw
        $maml.helpItems.command.details.name | Should -Contain 'Invoke-RapidScenario'
        $maml.helpItems.command.details.name | Should -Not -Contain 'Merge-RapidResult'
    }

    It 'escapes XML special characters in the prose' {
        $src = New-HelpSource (Join-Path $TestDrive 'escape')
        $file = Join-Path $src 'Get-RapidMockServer.md'
        (Get-Content $file -Raw) -replace '## SYNOPSIS\r?\n', "## SYNOPSIS`n<b>&amp; ]]> `"quoted`" " | Set-Content $file
        $dest = Join-Path $module 'en-US'
        & $generator -Source $src -Destination $dest -WarningAction SilentlyContinue
        [xml] $maml = Get-Content (Join-Path $dest 'RapidMessageTools.dll-Help.xml') -Raw
        $cmd = $maml.helpItems.command | Where-Object { $_.details.name -eq 'Get-RapidMockServer' }
        $cmd.details.description.para | Should -BeLike '<b>&amp; ]]> "quoted" Lists*'
    }
}
