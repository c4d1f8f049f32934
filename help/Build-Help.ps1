<#
.SYNOPSIS
    Generates the module's MAML help and about_ topic from the Markdown source in help/.
.DESCRIPTION
    Reads help/<Verb-Noun>.md for every cmdlet the built module exports and writes one MAML file,
    RapidMessageTools.dll-Help.xml, into -Destination, then copies about_RapidMessageTools.help.txt.

    The Markdown gives the prose: # Name, ## SYNOPSIS, ## DESCRIPTION, ## PARAMETERS (### -Name
    subsections), ## EXAMPLES (### Example N: title, each with a fenced code block and remarks),
    ## INPUTS, ## OUTPUTS, ## NOTES. The compiled cmdlets give the facts: syntax per parameter set,
    types, required, position, pipeline input, aliases, defaults. They are read from the built module in
    -Destination's parent folder, imported in a background job (another process), so that this process
    never loads, and never locks, the dll it has just built.

    Throws, naming the file, when a .md lacks a required section, an example has no code block, a
    parameter is undocumented or documented but absent, or an exported cmdlet has no .md. The one
    exception: a cmdlet listed in the manifest's CmdletsToExport without a .md (its help may land from
    another branch after the code) is a warning listing them, and tests/Pester/Help.Tests.ps1 fails.

    Runs on PowerShell 7 and Windows PowerShell 5.1.
.EXAMPLE
    ./help/Build-Help.ps1 -Source ./help -Destination ./out/RapidMessageTools/en-US
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Source,
    [Parameter(Mandatory)] [string] $Destination
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$ModuleName = 'RapidMessageTools'
$Ns = @{
    msh     = 'http://msh'
    maml    = 'http://schemas.microsoft.com/maml/2004/10'
    command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
}
$RequiredSections = @('SYNOPSIS', 'DESCRIPTION', 'EXAMPLES')
$KnownSections = @('SYNOPSIS', 'DESCRIPTION', 'PARAMETERS', 'EXAMPLES', 'INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS')
$StockParameterHelp = @{
    WhatIf  = 'Shows what would happen if the cmdlet runs. The cmdlet is not run.'
    Confirm = 'Prompts you for confirmation before running the cmdlet.'
}

$Source = (Resolve-Path -LiteralPath $Source).Path
New-Item -ItemType Directory -Path $Destination -Force | Out-Null
$Destination = (Resolve-Path -LiteralPath $Destination).Path
$ModuleRoot = Split-Path -Parent $Destination
$Manifest = Join-Path $ModuleRoot "$ModuleName.psd1"
if (-not (Test-Path -LiteralPath $Manifest)) {
    throw "Build-Help: the built module manifest $Manifest does not exist; build the module into $ModuleRoot before generating help."
}

#region Facts from the compiled cmdlets (in a background job: another process)
$collect = {
    param([string] $ManifestPath, [string] $Name)
    $ErrorActionPreference = 'Stop'
    Import-Module $ManifestPath
    $common = @([System.Management.Automation.Cmdlet]::CommonParameters) + @([System.Management.Automation.Cmdlet]::OptionalCommonParameters)

    function Get-TypeInfo([type] $Type) {
        $t = $Type
        $u = [Nullable]::GetUnderlyingType($t)
        if ($u) { $t = $u }
        $element = if ($t.IsArray) { $t.GetElementType() } else { $t }
        $values = @()
        if ($element.IsEnum) { $values = [Enum]::GetNames($element) }
        [pscustomobject]@{
            Name     = $t.Name
            FullName = $t.FullName
            IsSwitch = $t -eq [System.Management.Automation.SwitchParameter]
            Values   = $values
        }
    }

    function Get-DefaultText($Instance, [string] $Property) {
        if ($null -eq $Instance) { return $null }
        $p = $Instance.GetType().GetProperty($Property)
        if ($null -eq $p) { return $null }
        try { $v = $p.GetValue($Instance) } catch { return $null }
        if ($null -eq $v) { return $null }
        if ($v -is [System.Management.Automation.SwitchParameter]) { return [string] $v.IsPresent }
        if ($v -is [Array]) {
            if ($v.Length -eq 0) { return $null }
            $v = $v[0]
        }
        if ($v -is [string]) { if ($v) { return $v } else { return $null } }
        if (($v -is [double] -or $v -is [single]) -and $v -ne 0) { return $v.ToString('R', [Globalization.CultureInfo]::InvariantCulture) }
        if ($v -is [Enum]) { return $v.ToString() }
        if ($v.GetType().IsPrimitive -or $v -is [decimal]) {
            # Zero is usually 'not set, the scenario or setting decides' here: the prose says what happens.
            if ($v -eq 0) { return $null }
            return [Convert]::ToString($v, [Globalization.CultureInfo]::InvariantCulture)
        }
        $null
    }

    $manifestData = Import-PowerShellDataFile $ManifestPath
    $commands = foreach ($cmd in Get-Command -Module $Name -CommandType Cmdlet | Sort-Object Name) {
        $instance = $null
        try { $instance = [Activator]::CreateInstance($cmd.ImplementingType) } catch { $instance = $null }
        $sets = foreach ($set in $cmd.ParameterSets) {
            $params = foreach ($p in $set.Parameters) {
                if ($common -contains $p.Name) {
                    if ($p.Name -notin 'WhatIf', 'Confirm') { continue }
                }
                $validateSet = @($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | ForEach-Object { $_.ValidValues })
                $ti = Get-TypeInfo $p.ParameterType
                [pscustomobject]@{
                    Name                  = $p.Name
                    Type                  = $ti.Name
                    TypeFullName          = $ti.FullName
                    IsSwitch              = $ti.IsSwitch
                    Values                = @(if ($validateSet.Count) { $validateSet } else { $ti.Values })
                    IsMandatory           = $p.IsMandatory
                    Position              = $p.Position
                    ValueFromPipeline     = $p.ValueFromPipeline
                    ByPropertyName        = $p.ValueFromPipelineByPropertyName
                    ValueFromRemaining    = $p.ValueFromRemainingArguments
                    Aliases               = @($p.Aliases)
                    Wildcards             = [bool] @($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }).Count
                    Default               = Get-DefaultText $instance $p.Name
                }
            }
            [pscustomobject]@{
                Name       = $set.Name
                IsDefault  = $set.IsDefault
                Parameters = @($params)
            }
        }
        [pscustomobject]@{
            Name        = $cmd.Name
            Verb        = $cmd.Verb
            Noun        = $cmd.Noun
            OutputTypes = @($cmd.OutputType | ForEach-Object { if ($_.Type) { $_.Type.FullName } else { $_.Name } })
            Sets        = @($sets)
        }
    }
    [pscustomobject]@{
        Exported = @($manifestData.CmdletsToExport)
        Commands = @($commands)
    }
}
$job = Start-Job -ScriptBlock $collect -ArgumentList $Manifest, $ModuleName
try {
    $facts = Receive-Job -Job $job -Wait -ErrorAction Stop
}
finally {
    Remove-Job -Job $job -Force
}
if (-not $facts -or -not $facts.Commands) {
    throw "Build-Help: importing $Manifest gave no cmdlets; is the dll in $ModuleRoot?"
}
#endregion

#region Markdown parsing
function ConvertTo-PlainText([string] $Text) {
    # Inline Markdown that reads badly in a console: links, code spans, bold/italic markers.
    $t = [regex]::Replace($Text, '\[([^\]]+)\]\(([^)]+)\)', '$1 ($2)')
    $t = [regex]::Replace($t, '`([^`]+)`', '$1')
    $t = [regex]::Replace($t, '\*\*([^*]+)\*\*', '$1')
    $t
}

# Turns Markdown lines into paragraphs: blank lines separate them, list items start new ones,
# wrapped lines join with a space, fenced code keeps its lines.
function ConvertTo-Paragraph([string[]] $Lines) {
    $paras = New-Object System.Collections.Generic.List[string]
    $current = New-Object System.Collections.Generic.List[string]
    $code = $null
    $flush = {
        if ($current.Count) { $paras.Add((ConvertTo-PlainText ($current -join ' '))) }
        $current.Clear()
    }
    foreach ($line in $Lines) {
        if ($null -ne $code) {
            if ($line -match '^\s*```') { $paras.Add(($code -join "`n")); $code = $null }
            else { $code.Add($line) }
            continue
        }
        if ($line -match '^\s*```') { & $flush; $code = New-Object System.Collections.Generic.List[string]; continue }
        if ($line -match '^\s*$') { & $flush; continue }
        if ($line -match '^\s*([-*+]|\d+\.)\s') { & $flush }
        $current.Add($line.Trim())
    }
    & $flush
    if ($null -ne $code) { $paras.Add(($code -join "`n")) }
    $paras.ToArray()
}

# Reads one help/<Name>.md into sections (## NAME -> lines) and subsections (### title -> lines).
function Read-HelpMarkdown([string] $Path) {
    $file = Split-Path -Leaf $Path
    $lines = [IO.File]::ReadAllLines($Path) | ForEach-Object { $_.TrimEnd() }
    $doc = [ordered]@{ Name = $null; Sections = [ordered]@{} }
    $section = $null
    $sub = $null
    $inFence = $false
    $n = 0
    foreach ($line in $lines) {
        $n++
        if ($line -match '^\s*```') { $inFence = -not $inFence }
        if (-not $inFence -and $line -match '^(#{1,3})\s+(.+?)\s*$' -and $line -notmatch '^\s*```') {
            $level = $Matches[1].Length
            $title = $Matches[2]
            if ($level -eq 1) {
                if ($doc.Name) { throw "Build-Help: $file line ${n}: a second '# ' title ('$title'); only the first line may be '# Name'." }
                $doc.Name = $title
                continue
            }
            if ($level -eq 2) {
                $key = $title.ToUpperInvariant()
                if ($KnownSections -notcontains $key) { throw "Build-Help: $file line ${n}: unknown section '## $title'; use $($KnownSections -join ', ')." }
                if ($doc.Sections.Contains($key)) { throw "Build-Help: $file line ${n}: section '## $title' appears twice." }
                $section = [ordered]@{ Lines = New-Object System.Collections.Generic.List[string]; Subs = New-Object System.Collections.Generic.List[object] }
                $doc.Sections[$key] = $section
                $sub = $null
                continue
            }
            if (-not $section) { throw "Build-Help: $file line ${n}: '### $title' before any '## ' section." }
            $sub = [pscustomobject]@{ Title = $title; Line = $n; Lines = New-Object System.Collections.Generic.List[string] }
            $section.Subs.Add($sub)
            continue
        }
        if ($sub) { $sub.Lines.Add($line) }
        elseif ($section) { $section.Lines.Add($line) }
        elseif ($line -and -not $doc.Name) { throw "Build-Help: $file line ${n}: the file must start with '# <Verb-Noun>'." }
    }
    if ($inFence) { throw "Build-Help: $file has a code fence (```) that is never closed." }
    $doc
}

function Get-SectionText($Doc, [string] $Key, [string] $File) {
    if (-not $Doc.Sections.Contains($Key)) { return @() }
    $s = $Doc.Sections[$Key]
    if ($s.Subs.Count -and $Key -notin 'PARAMETERS', 'EXAMPLES', 'INPUTS', 'OUTPUTS') {
        throw "Build-Help: $File section '## $Key' has '### $($s.Subs[0].Title)'; only PARAMETERS, EXAMPLES, INPUTS and OUTPUTS have subsections."
    }
    ConvertTo-Paragraph $s.Lines
}

# INPUTS/OUTPUTS: '### Type' subsections with a description, or paragraphs that start with the type
# name ('System.String. Scenario names ...').
function Get-TypeEntry($Doc, [string] $Key) {
    if (-not $Doc.Sections.Contains($Key)) { return @() }
    $s = $Doc.Sections[$Key]
    $entries = New-Object System.Collections.Generic.List[object]
    foreach ($p in (ConvertTo-Paragraph $s.Lines)) {
        if ($p -match '^(?<type>[A-Za-z_][\w.`\[\]]*[\w\]])(?<rest>.*)$') {
            $entries.Add([pscustomobject]@{ Type = $Matches.type; Description = @(($Matches.rest -replace '^[.:,;]?\s*', '').Trim() | Where-Object { $_ }) })
        }
        else {
            $entries.Add([pscustomobject]@{ Type = ''; Description = @($p) })
        }
    }
    foreach ($sub in $s.Subs) {
        $entries.Add([pscustomobject]@{ Type = (ConvertTo-PlainText $sub.Title); Description = @(ConvertTo-Paragraph $sub.Lines) })
    }
    $entries.ToArray()
}

function Get-Example($Doc, [string] $File) {
    $s = $Doc.Sections['EXAMPLES']
    if (-not $s.Subs.Count) { throw "Build-Help: $File section '## EXAMPLES' has no '### Example 1: <title>' subsection." }
    foreach ($sub in $s.Subs) {
        $code = $null
        $before = New-Object System.Collections.Generic.List[string]
        $after = New-Object System.Collections.Generic.List[string]
        $fence = $null
        foreach ($line in $sub.Lines) {
            if ($null -ne $fence) {
                if ($line -match '^\s*```') {
                    if ($null -eq $code) { $code = ($fence -join "`n").Trim("`n") }
                    else { $after.Add('```'); $after.AddRange($fence); $after.Add('```') }
                    $fence = $null
                }
                else { $fence.Add($line) }
                continue
            }
            if ($line -match '^\s*```') { $fence = New-Object System.Collections.Generic.List[string]; continue }
            if ($null -eq $code) { $before.Add($line) } else { $after.Add($line) }
        }
        if (-not $code) {
            throw "Build-Help: $File example '### $($sub.Title)' (line $($sub.Line)) has no code block; put the command in a ``````powershell fence."
        }
        $remarks = @(ConvertTo-Paragraph ($before.ToArray() + @('') + $after.ToArray()))
        [pscustomobject]@{ Title = (ConvertTo-PlainText $sub.Title); Code = $code; Remarks = $remarks }
    }
}
#endregion

#region MAML writing
function Write-Para([System.Xml.XmlWriter] $W, [string[]] $Paragraphs) {
    $any = $false
    foreach ($p in $Paragraphs) {
        if ($null -eq $p) { continue }
        $W.WriteElementString('maml', 'para', $Ns.maml, $p)
        $any = $true
    }
    if (-not $any) { $W.WriteElementString('maml', 'para', $Ns.maml, '') }
}

function Write-Description([System.Xml.XmlWriter] $W, [string[]] $Paragraphs) {
    $W.WriteStartElement('maml', 'description', $Ns.maml)
    Write-Para $W $Paragraphs
    $W.WriteEndElement()
}

function Get-PipelineText([bool] $ByValue, [bool] $ByName) {
    if ($ByValue -and $ByName) { 'True (ByValue, ByPropertyName)' }
    elseif ($ByValue) { 'True (ByValue)' }
    elseif ($ByName) { 'True (ByPropertyName)' }
    else { 'False' }
}

function Write-Parameter([System.Xml.XmlWriter] $W, $P, [string[]] $Description, [bool] $InSyntax) {
    $W.WriteStartElement('command', 'parameter', $Ns.command)
    $W.WriteAttributeString('required', ([string] $P.Required).ToLowerInvariant())
    $W.WriteAttributeString('variableLength', ([string] $P.VariableLength).ToLowerInvariant())
    $W.WriteAttributeString('globbing', ([string] $P.Wildcards).ToLowerInvariant())
    $W.WriteAttributeString('pipelineInput', $P.Pipeline)
    $W.WriteAttributeString('position', $P.Position)
    $W.WriteAttributeString('aliases', $(if ($P.Aliases.Count) { $P.Aliases -join ', ' } else { 'none' }))
    $W.WriteElementString('maml', 'name', $Ns.maml, $P.Name)
    Write-Description $W $Description
    if ($InSyntax -and $P.Values.Count) {
        $W.WriteStartElement('command', 'parameterValueGroup', $Ns.command)
        foreach ($v in $P.Values) {
            $W.WriteStartElement('command', 'parameterValue', $Ns.command)
            $W.WriteAttributeString('required', 'false')
            $W.WriteAttributeString('command', 'variableLength', $Ns.command, 'false')
            $W.WriteString($v)
            $W.WriteEndElement()
        }
        $W.WriteEndElement()
    }
    if (-not $P.IsSwitch) {
        $W.WriteStartElement('command', 'parameterValue', $Ns.command)
        $W.WriteAttributeString('required', 'true')
        $W.WriteAttributeString('variableLength', ([string] $P.VariableLength).ToLowerInvariant())
        $W.WriteString($P.Type)
        $W.WriteEndElement()
    }
    $W.WriteStartElement('dev', 'type', $Ns.dev)
    $W.WriteElementString('maml', 'name', $Ns.maml, $P.TypeFullName)
    $W.WriteElementString('maml', 'uri', $Ns.maml, '')
    $W.WriteEndElement()
    $W.WriteElementString('dev', 'defaultValue', $Ns.dev, $(if ($null -ne $P.Default) { $P.Default } else { 'None' }))
    $W.WriteEndElement()
}

function ConvertTo-HelpParameter($Raw, [bool] $Required, [string] $Position, [string] $Pipeline) {
    [pscustomobject]@{
        Name           = $Raw.Name
        Type           = $Raw.Type
        TypeFullName   = $Raw.TypeFullName
        IsSwitch       = $Raw.IsSwitch
        Values         = @($Raw.Values)
        Required       = $Required
        Position       = $Position
        Pipeline       = $Pipeline
        VariableLength = $Raw.Type.EndsWith('[]')
        Aliases        = @($Raw.Aliases)
        Wildcards      = $Raw.Wildcards
        Default        = $Raw.Default
    }
}

function Write-TypeList([System.Xml.XmlWriter] $W, [string] $Outer, [string] $Inner, $Entries) {
    $W.WriteStartElement('command', $Outer, $Ns.command)
    foreach ($e in $Entries) {
        $W.WriteStartElement('command', $Inner, $Ns.command)
        $W.WriteStartElement('dev', 'type', $Ns.dev)
        $W.WriteElementString('maml', 'name', $Ns.maml, $e.Type)
        $W.WriteEndElement()
        Write-Description $W @($e.Description)
        $W.WriteEndElement()
    }
    $W.WriteEndElement()
}
#endregion

#region Generate
$markdown = @{}
foreach ($f in Get-ChildItem -LiteralPath $Source -Filter '*-*.md' -File) {
    $markdown[$f.BaseName] = $f.FullName
}

$compiled = @($facts.Commands | ForEach-Object { $_.Name })
$exported = @($facts.Exported)
# Every cmdlet needs help/<Name>.md. One the manifest lists (CmdletsToExport) may land before its help
# does, from another branch: that is a warning here, so the build keeps working, and a failure in
# tests/Pester/Help.Tests.ps1. Any other cmdlet without help stops the build.
$missing = @(@($compiled) + @($exported) | Where-Object { -not $markdown.ContainsKey($_) } | Sort-Object -Unique)
$missingPlanned = @($missing | Where-Object { $exported -contains $_ })
$missingOther = @($missing | Where-Object { $exported -notcontains $_ })
if ($missingOther.Count) {
    throw "Build-Help: no help source for $($missingOther -join ', '); write help/<Verb-Noun>.md for each (see help/Invoke-RapidScenario.md for the layout)."
}
if ($missingPlanned.Count) {
    Write-Warning "Build-Help: no help source for $($missingPlanned -join ', ') (listed in the manifest's CmdletsToExport); write help/<Verb-Noun>.md for each. The build goes on without their help; tests/Pester/Help.Tests.ps1 fails for each one the module implements."
}
$orphans = @($markdown.Keys | Where-Object { $compiled -notcontains $_ -and $facts.Exported -notcontains $_ } | Sort-Object)
if ($orphans.Count) {
    throw "Build-Help: help/$($orphans[0]).md documents a cmdlet the module does not export ($($orphans -join ', ')); rename or remove it."
}

$settings = New-Object System.Xml.XmlWriterSettings
$settings.Indent = $true
$settings.Encoding = New-Object System.Text.UTF8Encoding($false)
$settings.NewLineChars = "`n"
$outFile = Join-Path $Destination "$ModuleName.dll-Help.xml"
$tmpFile = "$outFile.tmp"
$w = [System.Xml.XmlWriter]::Create($tmpFile, $settings)
try {
    $w.WriteStartDocument()
    $w.WriteStartElement('helpItems', $Ns.msh)
    $w.WriteAttributeString('schema', 'maml')
    $w.WriteAttributeString('xmlns', 'maml', $null, $Ns.maml)
    $w.WriteAttributeString('xmlns', 'command', $null, $Ns.command)
    $w.WriteAttributeString('xmlns', 'dev', $null, $Ns.dev)

    foreach ($cmd in $facts.Commands) {
        if (-not $markdown.ContainsKey($cmd.Name)) { continue }
        $path = $markdown[$cmd.Name]
        $file = "help/$($cmd.Name).md"
        $doc = Read-HelpMarkdown $path
        if ($doc.Name -ne $cmd.Name) { throw "Build-Help: $file starts with '# $($doc.Name)'; it must be '# $($cmd.Name)'." }
        foreach ($section in $RequiredSections) {
            if (-not $doc.Sections.Contains($section)) { throw "Build-Help: $file has no '## $section' section (required: $($RequiredSections -join ', '))." }
        }
        $synopsis = @(Get-SectionText $doc 'SYNOPSIS' $file)
        if (-not $synopsis.Count) { throw "Build-Help: $file section '## SYNOPSIS' is empty." }
        $description = @(Get-SectionText $doc 'DESCRIPTION' $file)
        if (-not $description.Count) { throw "Build-Help: $file section '## DESCRIPTION' is empty." }
        $examples = @(Get-Example $doc $file)
        $notes = @(Get-SectionText $doc 'NOTES' $file)
        $inputs = @(Get-TypeEntry $doc 'INPUTS')
        if (-not $inputs.Count) {
            # No ## INPUTS: say what the compiled cmdlet actually binds from the pipeline.
            $piped = @($cmd.Sets | ForEach-Object { $_.Parameters })
            $byValue = @($piped | Where-Object ValueFromPipeline | Sort-Object Name -Unique)
            $byName = @($piped | Where-Object ByPropertyName | ForEach-Object { $_.Name } | Sort-Object -Unique)
            $inputs = @($byValue | ForEach-Object { [pscustomobject]@{ Type = $_.TypeFullName; Description = @("Binds to -$($_.Name) by value.") } })
            if ($byName.Count) { $inputs += [pscustomobject]@{ Type = 'System.Object'; Description = @("Any object with a property named $($byName -join ', ') binds to the parameter of that name (or of that alias).") } }
            if (-not $inputs.Count) { $inputs = @([pscustomobject]@{ Type = 'None'; Description = @('This cmdlet takes no pipeline input.') }) }
        }
        $outputs = @(Get-TypeEntry $doc 'OUTPUTS')
        if (-not $outputs.Count) { $outputs = @($cmd.OutputTypes | ForEach-Object { [pscustomobject]@{ Type = $_; Description = @() } }) }

        # Parameter prose from ### -Name; every parameter of the cmdlet needs one, and nothing else may have one.
        $paramHelp = [ordered]@{}
        if ($doc.Sections.Contains('PARAMETERS')) {
            $ps = $doc.Sections['PARAMETERS']
            if (@($ps.Lines | Where-Object { $_ -match '\S' }).Count) { throw "Build-Help: $file section '## PARAMETERS' has text outside a '### -Name' subsection." }
            foreach ($sub in $ps.Subs) {
                if ($sub.Title -notmatch '^-(\w+)$') { throw "Build-Help: $file line $($sub.Line): '### $($sub.Title)' in PARAMETERS must be '### -ParameterName'." }
                $paras = @(ConvertTo-Paragraph $sub.Lines)
                if (-not $paras.Count) { throw "Build-Help: $file parameter '-$($Matches[1])' (line $($sub.Line)) has no description." }
                $paramHelp[$Matches[1]] = $paras
            }
        }
        $allParams = [ordered]@{}
        foreach ($set in $cmd.Sets) { foreach ($p in $set.Parameters) { if (-not $allParams.Contains($p.Name)) { $allParams[$p.Name] = New-Object System.Collections.Generic.List[object] }; $allParams[$p.Name].Add($p) } }
        $undocumented = @($allParams.Keys | Where-Object { -not $paramHelp.Contains($_) -and -not $StockParameterHelp.ContainsKey($_) })
        if ($undocumented.Count) { throw "Build-Help: $file documents no '### -$($undocumented -join "', '### -")' (parameters of $($cmd.Name)); add a subsection under '## PARAMETERS' for each." }
        $unknown = @($paramHelp.Keys | Where-Object { -not $allParams.Contains($_) })
        if ($unknown.Count) { throw "Build-Help: $file documents -$($unknown -join ', -'), which $($cmd.Name) does not have; remove or rename the subsection." }
        $describe = { param($name) if ($paramHelp.Contains($name)) { $paramHelp[$name] } else { @($StockParameterHelp[$name]) } }

        $w.WriteStartElement('command', 'command', $Ns.command)
        $w.WriteStartElement('command', 'details', $Ns.command)
        $w.WriteElementString('command', 'name', $Ns.command, $cmd.Name)
        Write-Description $w $synopsis
        $w.WriteElementString('command', 'verb', $Ns.command, $cmd.Verb)
        $w.WriteElementString('command', 'noun', $Ns.command, $cmd.Noun)
        $w.WriteEndElement()

        Write-Description $w $description

        $w.WriteStartElement('command', 'syntax', $Ns.command)
        foreach ($set in ($cmd.Sets | Sort-Object @{ Expression = { -not $_.IsDefault } }, Name)) {
            $w.WriteStartElement('command', 'syntaxItem', $Ns.command)
            $w.WriteElementString('maml', 'name', $Ns.maml, $cmd.Name)
            # Positional first by position, then mandatory named, then the rest in declaration order; WhatIf/Confirm last.
            $i = 0
            $ordered = @($set.Parameters | ForEach-Object {
                    $rank = if ($_.Position -ge 0) { $_.Position } elseif ($_.Name -in 'WhatIf', 'Confirm') { 300000 } elseif ($_.IsMandatory) { 100000 } else { 200000 }
                    [pscustomobject]@{ Key = $rank * 1000 + $i; P = $_ }
                    $i++
                } | Sort-Object Key | ForEach-Object { $_.P })
            foreach ($p in $ordered) {
                $hp = ConvertTo-HelpParameter $p $p.IsMandatory $(if ($p.Position -ge 0) { [string] $p.Position } else { 'named' }) (Get-PipelineText $p.ValueFromPipeline $p.ByPropertyName)
                Write-Parameter $w $hp (& $describe $p.Name) $true
            }
            $w.WriteEndElement()
        }
        $w.WriteEndElement()

        $w.WriteStartElement('command', 'parameters', $Ns.command)
        # In the order the .md documents them (the author's order), WhatIf/Confirm last.
        $mdOrder = @($paramHelp.Keys)
        foreach ($name in @($mdOrder) + @($allParams.Keys | Where-Object { $mdOrder -notcontains $_ })) {
            $variants = $allParams[$name]
            $positioned = @($variants | Where-Object { $_.Position -ge 0 })
            $position = if ($positioned.Count) { [string] $positioned[0].Position } else { 'named' }
            $required = -not @($variants | Where-Object { -not $_.IsMandatory }).Count
            $pipeline = Get-PipelineText ([bool] @($variants | Where-Object ValueFromPipeline).Count) ([bool] @($variants | Where-Object ByPropertyName).Count)
            $hp = ConvertTo-HelpParameter $variants[0] $required $position $pipeline
            Write-Parameter $w $hp (& $describe $name) $false
        }
        $w.WriteEndElement()

        Write-TypeList $w 'inputTypes' 'inputType' $inputs
        Write-TypeList $w 'returnValues' 'returnValue' $outputs

        if ($notes.Count) {
            $w.WriteStartElement('maml', 'alertSet', $Ns.maml)
            $w.WriteStartElement('maml', 'alert', $Ns.maml)
            Write-Para $w $notes
            $w.WriteEndElement()
            $w.WriteEndElement()
        }

        $w.WriteStartElement('command', 'examples', $Ns.command)
        foreach ($ex in $examples) {
            $w.WriteStartElement('command', 'example', $Ns.command)
            $w.WriteElementString('maml', 'title', $Ns.maml, "---------- $($ex.Title) ----------")
            $w.WriteElementString('dev', 'code', $Ns.dev, $ex.Code)
            $w.WriteStartElement('dev', 'remarks', $Ns.dev)
            Write-Para $w $ex.Remarks
            $w.WriteElementString('maml', 'para', $Ns.maml, '') # a blank line before the next example
            $w.WriteEndElement()
            $w.WriteEndElement()
        }
        $w.WriteEndElement()

        $w.WriteStartElement('command', 'relatedLinks', $Ns.command)
        $w.WriteStartElement('maml', 'navigationLink', $Ns.maml)
        $w.WriteElementString('maml', 'linkText', $Ns.maml, "about_$ModuleName")
        $w.WriteElementString('maml', 'uri', $Ns.maml, '')
        $w.WriteEndElement()
        $w.WriteEndElement()

        $w.WriteEndElement() # command:command
    }
    $w.WriteEndElement() # helpItems
    $w.WriteEndDocument()
}
finally {
    $w.Dispose()
}

# Check what was written parses, then put it in place.
$check = New-Object System.Xml.XmlDocument
$check.Load($tmpFile)
Move-Item -LiteralPath $tmpFile -Destination $outFile -Force

$about = Join-Path $Source "about_$ModuleName.help.txt"
if (-not (Test-Path -LiteralPath $about)) { throw "Build-Help: $about is missing; the about_ topic is required." }
Copy-Item -LiteralPath $about -Destination $Destination -Force
Write-Verbose "Build-Help: wrote $outFile ($($facts.Commands.Count) cmdlets) and about_$ModuleName.help.txt."
#endregion
