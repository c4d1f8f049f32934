<#
.SYNOPSIS
    A small WebSocket test client over System.Net.WebSockets.ClientWebSocket, for the Pester suite.
.DESCRIPTION
    Dot-source inside BeforeAll (never at a file's top level):

        BeforeAll { . (Join-Path $PSScriptRoot 'Support/WsTestClient.ps1') }

    Every wait is bounded. Connect, send and close use a CancellationTokenSource linked to the
    client's own token and cancelled after the timeout. A receive waits on the pending
    ReceiveAsync task for at most the timeout and, when nothing came, leaves that task pending
    for the next call instead of cancelling it: cancelling a ClientWebSocket receive aborts the
    socket, and tests that prove a frame did NOT arrive need the connection afterwards.
    Remove-WsTestClient (or Clear-WsTestClient in AfterAll) cancels the client's token,
    which ends any pending receive.
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'test helpers (New-*, Start-*, Remove-*) make test objects; -WhatIf has no meaning in a test')]
param()

# Wait-Condition, for tests that wait on what a client or server does.
. (Join-Path $PSScriptRoot 'Wait.ps1')

$script:WsTestClients = [System.Collections.Generic.List[object]]::new()

function New-WsTestClient {
    <#
    .SYNOPSIS
        Connects to a WebSocket URL; returns the client. On a refused upgrade, throws an error with
        FullyQualifiedErrorId 'WsUpgradeRefused' whose TargetObject is the HTTP status (0 if none).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)] [string] $Url,
        # Appended to the URL's query string, escaped.
        [hashtable] $Query,
        # Request headers, e.g. @{ Authorization = "Bearer $token" }.
        [hashtable] $Headers,
        [double] $TimeoutSec = 5,
        [int] $BufferSize = 64KB
    )
    $uri = $Url
    if ($Query -and $Query.Count) {
        $pairs = foreach ($k in $Query.Keys) { [Uri]::EscapeDataString([string]$k) + '=' + [Uri]::EscapeDataString([string]$Query[$k]) }
        $uri += $(if ($uri.Contains('?')) { '&' } else { '?' }) + ($pairs -join '&')
    }

    $socket = [System.Net.WebSockets.ClientWebSocket]::new()
    $socket.Options.CollectHttpResponseDetails = $true
    if ($Headers) {
        foreach ($k in $Headers.Keys) { $socket.Options.SetRequestHeader([string]$k, [string]$Headers[$k]) }
    }

    $client = [pscustomobject]@{
        Url       = $uri
        Socket    = $socket
        Buffer    = [byte[]]::new($BufferSize)
        Fragments = [System.IO.MemoryStream]::new()
        Pending   = $null
        Cancel    = [System.Threading.CancellationTokenSource]::new()
    }

    $cts = [System.Threading.CancellationTokenSource]::CreateLinkedTokenSource($client.Cancel.Token)
    $cts.CancelAfter([TimeSpan]::FromSeconds($TimeoutSec))
    try {
        $null = $socket.ConnectAsync([Uri]$uri, $cts.Token).GetAwaiter().GetResult()
    }
    catch {
        $status = [int]$socket.HttpStatusCode
        $socket.Dispose()
        $client.Cancel.Dispose()
        $ex = if ($_.Exception.InnerException) { $_.Exception.InnerException } else { $_.Exception }
        $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new($ex, 'WsUpgradeRefused', 'ConnectionError', $status))
    }
    finally {
        $cts.Dispose()
    }

    $script:WsTestClients.Add($client)
    $client
}

function Get-WsUpgradeStatus {
    <#
    .SYNOPSIS
        Tries the upgrade and returns the HTTP status: 101 when it connected (the connection is then
        closed at once), else the server's status, or 0 when no HTTP answer came.
    #>
    param(
        [Parameter(Mandatory, Position = 0)] [string] $Url,
        [hashtable] $Query,
        [hashtable] $Headers,
        [double] $TimeoutSec = 5
    )
    try {
        $c = New-WsTestClient -Url $Url -Query $Query -Headers $Headers -TimeoutSec $TimeoutSec -ErrorAction Stop
    }
    catch {
        return [int]$_.TargetObject
    }

    $status = [int]$c.Socket.HttpStatusCode
    $null = Close-WsTestClient $c
    $status
}

function Send-WsFrame {
    <#
    .SYNOPSIS
        Sends raw bytes as one WebSocket frame (Text or Binary); -NotEndOfMessage sends a fragment.
        Text frames are sent as given: use this to send invalid UTF-8.
    #>
    param(
        [Parameter(Mandatory, Position = 0)] $Client,
        [Parameter(Mandatory, Position = 1)] [AllowEmptyCollection()] [byte[]] $Bytes,
        [ValidateSet('Text', 'Binary')] [string] $MessageType = 'Text',
        [switch] $NotEndOfMessage,
        [double] $TimeoutSec = 5
    )
    $cts = [System.Threading.CancellationTokenSource]::CreateLinkedTokenSource($Client.Cancel.Token)
    $cts.CancelAfter([TimeSpan]::FromSeconds($TimeoutSec))
    try {
        $type = [System.Net.WebSockets.WebSocketMessageType]$MessageType
        $null = $Client.Socket.SendAsync([ArraySegment[byte]]::new($Bytes), $type, (-not $NotEndOfMessage), $cts.Token).GetAwaiter().GetResult()
    }
    finally {
        $cts.Dispose()
    }
}

function Send-WsText {
    <# .SYNOPSIS Sends one text frame (UTF-8). #>
    param(
        [Parameter(Mandatory, Position = 0)] $Client,
        [Parameter(Mandatory, Position = 1)] [AllowEmptyString()] [string] $Text,
        [double] $TimeoutSec = 5
    )
    Send-WsFrame $Client ([System.Text.Encoding]::UTF8.GetBytes($Text)) -MessageType Text -TimeoutSec $TimeoutSec
}

function Send-WsBinary {
    <# .SYNOPSIS Sends one binary frame. #>
    param(
        [Parameter(Mandatory, Position = 0)] $Client,
        [Parameter(Mandatory, Position = 1)] [byte[]] $Bytes,
        [double] $TimeoutSec = 5
    )
    Send-WsFrame $Client $Bytes -MessageType Binary -TimeoutSec $TimeoutSec
}

function Send-WsJson {
    <# .SYNOPSIS Sends a hashtable or object as one compact JSON text frame. #>
    param(
        [Parameter(Mandatory, Position = 0)] $Client,
        [Parameter(Mandatory, Position = 1)] $InputObject,
        [double] $TimeoutSec = 5
    )
    Send-WsText $Client ($InputObject | ConvertTo-Json -Compress -Depth 10) -TimeoutSec $TimeoutSec
}

function Send-WsUserMessage {
    <# .SYNOPSIS Sends one user_message; content defaults to "message <SequenceId>". #>
    param(
        [Parameter(Mandatory, Position = 0)] $Client,
        [Parameter(Mandatory)] [string] $MessageId,
        [Parameter(Mandatory)] [long] $SequenceId,
        [string] $Content,
        [string] $AgentId
    )
    if (-not $PSBoundParameters.ContainsKey('Content')) { $Content = "message $SequenceId" }
    $m = [ordered]@{ type = 'user_message'; message_id = $MessageId; sequence_id = $SequenceId; content = $Content }
    if ($AgentId) { $m.agent_id = $AgentId }
    Send-WsJson $Client $m
}

function Measure-WsIdleAnswer {
    <#
    .SYNOPSIS
        Sends 'idle-1' to agent 'idle', reads its whole answer with -ReadAnswer (given the message id; it must
        return the answer's frames), waits -IdleMs with the agent idle, then sends 'idle-2'. Returns the first
        frame that came after it (Frame) and the seconds from its send to that frame (Seconds).
    #>
    param(
        [Parameter(Mandatory, Position = 0)] $Client,
        [Parameter(Mandatory)] [scriptblock] $ReadAnswer,
        [int] $IdleMs = 150
    )
    Send-WsUserMessage $Client -MessageId 'idle-1' -SequenceId 1 -AgentId 'idle'
    $answer = @(& $ReadAnswer 'idle-1')
    if (-not @($answer | Where-Object { $_.type -eq 'ai_response' -and $_.message_id -eq 'idle-1' }).Count) { throw "No ai_response of idle-1 came; got $($answer.Count) frame(s)." }
    Start-Sleep -Milliseconds $IdleMs
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    Send-WsUserMessage $Client -MessageId 'idle-2' -SequenceId 2 -AgentId 'idle'
    $first = @(Receive-WsJson $Client -Count 1 -TimeoutSec 5)
    $clock.Stop()
    [pscustomobject]@{ Frame = $first | Select-Object -First 1; Seconds = $clock.Elapsed.TotalSeconds }
}

function Receive-WsFrame {
    <#
    .SYNOPSIS
        Receives one whole message within -TimeoutSec. Returns $null when nothing came in time
        (the connection stays usable), else an object with MessageType Text|Binary|Close|Aborted,
        Text, Bytes, CloseStatus and Error.
    #>
    param(
        [Parameter(Mandatory, Position = 0)] $Client,
        [double] $TimeoutSec = 5
    )
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $limitMs = [int]($TimeoutSec * 1000)
    while ($true) {
        if ($null -eq $Client.Pending) {
            $state = $Client.Socket.State
            if ($state -notin 'Open', 'CloseSent') {
                return [pscustomobject]@{ MessageType = 'Aborted'; Text = $null; Bytes = $null; CloseStatus = $Client.Socket.CloseStatus; Error = "socket state $state" }
            }
            $segment = [ArraySegment[byte]]::new($Client.Buffer)
            $Client.Pending = $Client.Socket.ReceiveAsync($segment, $Client.Cancel.Token)
        }

        $left = [Math]::Max(0, $limitMs - [int]$clock.ElapsedMilliseconds)
        if ($left -le 0 -and -not $Client.Pending.IsCompleted) { return $null }
        if (-not ([System.IAsyncResult]$Client.Pending).AsyncWaitHandle.WaitOne($left)) {
            return $null
        }

        $task = $Client.Pending
        $Client.Pending = $null
        if ($task.IsFaulted -or $task.IsCanceled) {
            $err = if ($task.Exception) { $task.Exception.GetBaseException() } else { 'cancelled' }
            $Client.Fragments.SetLength(0)
            return [pscustomobject]@{ MessageType = 'Aborted'; Text = $null; Bytes = $null; CloseStatus = $Client.Socket.CloseStatus; Error = $err }
        }

        $r = $task.Result
        if ($r.MessageType -eq 'Close') {
            return [pscustomobject]@{ MessageType = 'Close'; Text = $null; Bytes = $null; CloseStatus = $r.CloseStatus; Error = $null }
        }

        $Client.Fragments.Write($Client.Buffer, 0, $r.Count)
        if ($r.EndOfMessage) {
            $bytes = $Client.Fragments.ToArray()
            $Client.Fragments.SetLength(0)
            $text = if ($r.MessageType -eq 'Text') { [System.Text.Encoding]::UTF8.GetString($bytes) } else { $null }
            return [pscustomobject]@{ MessageType = [string]$r.MessageType; Text = $text; Bytes = $bytes; CloseStatus = $null; Error = $null }
        }
    }
}

function Receive-WsJson {
    <#
    .SYNOPSIS
        Receives up to -Count text frames within -TimeoutSec in all and returns them parsed with
        ConvertFrom-Json. Stops early at a close or abort; returns what came (check the count).
        -Until stops after the first frame for which the script block ($_ = the frame) is true.
    #>
    param(
        [Parameter(Mandatory, Position = 0)] $Client,
        [int] $Count = 1,
        [double] $TimeoutSec = 5,
        [scriptblock] $Until
    )
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $got = 0
    while ($got -lt $Count) {
        $left = $TimeoutSec - $clock.Elapsed.TotalSeconds
        if ($left -le 0) { return }
        $f = Receive-WsFrame $Client -TimeoutSec $left
        if ($null -eq $f -or $f.MessageType -in 'Close', 'Aborted') { return }
        if ($f.MessageType -ne 'Text') { continue }
        $json = $f.Text | ConvertFrom-Json
        $got++
        $json
        if ($Until -and (ForEach-Object -InputObject $json -Process $Until)) { return }
    }
}

function Receive-WsEnd {
    <#
    .SYNOPSIS
        Reads and discards frames until the connection ends (close frame or abort) or -TimeoutSec
        passes. Returns the frame that ended it (MessageType Close or Aborted), or $null on timeout.
    #>
    param(
        [Parameter(Mandatory, Position = 0)] $Client,
        [double] $TimeoutSec = 5
    )
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    while (($left = $TimeoutSec - $clock.Elapsed.TotalSeconds) -gt 0) {
        $f = Receive-WsFrame $Client -TimeoutSec $left
        if ($null -eq $f) { return }
        if ($f.MessageType -in 'Close', 'Aborted') { return $f }
    }
}

function Close-WsTestClient {
    <#
    .SYNOPSIS
        Runs the close handshake (CloseAsync) within -TimeoutSec, then disposes the client.
        Returns State (after the close) and Seconds (how long CloseAsync took).
    #>
    param(
        [Parameter(Mandatory, Position = 0)] $Client,
        [System.Net.WebSockets.WebSocketCloseStatus] $Status = 'NormalClosure',
        [double] $TimeoutSec = 5
    )
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $cts = [System.Threading.CancellationTokenSource]::CreateLinkedTokenSource($Client.Cancel.Token)
    $cts.CancelAfter([TimeSpan]::FromSeconds($TimeoutSec))
    $err = $null
    try {
        if ($Client.Socket.State -in 'Open', 'CloseReceived', 'CloseSent') {
            $null = $Client.Socket.CloseAsync($Status, 'bye', $cts.Token).GetAwaiter().GetResult()
        }
    }
    catch {
        $err = $_.Exception.GetBaseException()
    }
    finally {
        $cts.Dispose()
    }
    $seconds = $clock.Elapsed.TotalSeconds
    $state = $Client.Socket.State
    Remove-WsTestClient $Client
    [pscustomobject]@{ State = [string]$state; Seconds = $seconds; Error = $err }
}

function Remove-WsTestClient {
    <# .SYNOPSIS Ends a client without a close handshake (any pending receive ends too). #>
    param([Parameter(Mandatory, Position = 0)] $Client)
    try { $Client.Cancel.Cancel() } catch [System.ObjectDisposedException] { Write-Verbose 'The client was cancelled and disposed already.' }
    $Client.Socket.Dispose()
    $Client.Fragments.Dispose()
    $Client.Cancel.Dispose()
    $null = $script:WsTestClients.Remove($Client)
}

function Clear-WsTestClient {
    <# .SYNOPSIS Disposes every client this helper made that is still open (for AfterAll). #>
    foreach ($c in @($script:WsTestClients)) { Remove-WsTestClient $c }
}

function Test-TcpRefused {
    <# .SYNOPSIS True when a TCP connect to 127.0.0.1:Port is refused (within -TimeoutSec). #>
    param(
        [Parameter(Mandatory, Position = 0)] [int] $Port,
        [double] $TimeoutSec = 2
    )
    $tcp = [System.Net.Sockets.TcpClient]::new()
    try {
        $t = $tcp.ConnectAsync([System.Net.IPAddress]::Loopback, $Port)
        if (-not ([System.IAsyncResult]$t).AsyncWaitHandle.WaitOne([int]($TimeoutSec * 1000))) { return $false }
        if (-not $t.IsFaulted) { return $false }
        $ex = $t.Exception.GetBaseException()
        return ($ex -is [System.Net.Sockets.SocketException] -and $ex.SocketErrorCode -eq 'ConnectionRefused')
    }
    finally {
        $tcp.Dispose()
    }
}
