# What the MockServer.*.Tests.ps1 files share: the module, imported fresh; the WebSocket test client
# (Support/WsTestClient.ps1); and the checks below. Dot-source inside BeforeAll; Clear-WsTestClient in AfterAll.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'test helpers (New-*, Start-*, Remove-*) make test objects; -WhatIf has no meaning in a test')]
param()

Import-Module RapidMessageTools -Force
. (Join-Path $PSScriptRoot 'WsTestClient.ps1')

# A fresh id, so tests sharing a server never share a user.
function New-TestId([string] $Prefix = 'u') { $Prefix + '-' + [guid]::NewGuid().ToString('N').Substring(0, 12) }

function Get-UnixNow { [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() / 1000.0 }

# Sends a query on $Client and returns the first frame of $Type (others that arrive meanwhile are discarded).
function Get-StateFrame {
    param($Client, [string] $Query = 'get_agent_state', [string] $Type = 'agent_state', [string] $AgentId, [double] $TimeoutSec = 3)
    $q = [ordered]@{ type = $Query; request_id = (New-TestId 'r') }
    if ($AgentId) { $q.agent_id = $AgentId }
    Send-WsJson $Client $q
    Receive-WsJson $Client -Count 100000 -TimeoutSec $TimeoutSec -Until { $_.type -eq $Type -and $_.request_id -eq $q.request_id } |
        Where-Object { $_.type -eq $Type -and $_.request_id -eq $q.request_id }
}

# Proves a server still gives correct service: a new client's message is answered and its close completes.
function Assert-ServerServes {
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseSingularNouns', '', Justification = '''Serves'' is a verb, not a plural noun')]
    param([Parameter(Mandatory)] $Server)
    $c = New-WsTestClient $Server.Url -Query @{ user_id = (New-TestId 'check') }
    Send-WsUserMessage $c -MessageId 'check-1' -SequenceId 1 -Content 'still there?'
    $r = @(Receive-WsJson $c -Count 1 -TimeoutSec 5)
    $r.Count | Should -Be 1
    $r[0].type | Should -Be 'ai_response'
    $r[0].message_id | Should -Be 'check-1'
    $r[0].content | Should -Be 'AI response to: still there?'
    (Close-WsTestClient $c).State | Should -Be 'Closed'
}
