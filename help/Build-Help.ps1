<#
.SYNOPSIS
    Generates the module's MAML help and about_ topic from the Markdown source in help/.
#>
param(
    [Parameter(Mandatory)] [string] $Source,
    [Parameter(Mandatory)] [string] $Destination
)
$ErrorActionPreference = 'Stop'
New-Item -ItemType Directory -Path $Destination -Force | Out-Null
Copy-Item (Join-Path $Source 'about_RapidMessageTools.help.txt') $Destination
$xml = @'
<?xml version="1.0" encoding="utf-8"?>
<helpItems schema="maml" xmlns="http://msh" xmlns:maml="http://schemas.microsoft.com/maml/2004/10" xmlns:command="http://schemas.microsoft.com/maml/dev/command/2004/10" xmlns:dev="http://schemas.microsoft.com/maml/dev/2004/10">
</helpItems>
'@
Set-Content -Path (Join-Path $Destination 'RapidMessageTools.dll-Help.xml') -Value $xml -Encoding utf8
