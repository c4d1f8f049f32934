Describe 'Start-RapidMockServer -Wait' -Tag 'Integration' {
    BeforeAll {
        Import-Module RapidMessageTools -Force
        . (Join-Path $PSScriptRoot 'Support/BackgroundCommand.ps1')
        . (Join-Path $PSScriptRoot 'Support/Wait.ps1')
        . (Join-Path $PSScriptRoot 'Support/TestServers.ps1')
    }

    It 'serves in the foreground until stopped (Ctrl+C), then frees its port' {
        $port = Get-ClosedPort
        $job = Start-BackgroundCommand "Start-RapidMockServer -Port $port -Wait"
        try {
            $null = Wait-Condition { try { Invoke-RestMethod "http://127.0.0.1:$port/health" -TimeoutSec 1 } catch { $false } } -TimeoutSec 10
            $health = Invoke-RestMethod "http://127.0.0.1:$port/health" -TimeoutSec 1
            $health.status | Should -Be 'ok'
            $job.Async.IsCompleted | Should -BeFalse -Because '-Wait keeps the cmdlet running'

            Stop-BackgroundCommand $job | Should -BeLessThan 3
            { Invoke-RestMethod "http://127.0.0.1:$port/health" -TimeoutSec 1 } | Should -Throw -ErrorId '*,Microsoft.PowerShell.Commands.InvokeRestMethodCommand'
        }
        finally { Remove-BackgroundCommand $job }
    }
}

Describe 'Stop-RapidMockServer with clients connected' -Tag 'Integration' {
    BeforeAll {
        Import-Module RapidMessageTools -Force
    }

    It 'tells each client it is going away (close 1001) before dropping it' {
        $server = Start-RapidMockServer
        $ws = [System.Net.WebSockets.ClientWebSocket]::new()
        try {
            $ws.ConnectAsync([uri]$server.Url, [Threading.CancellationToken]::None).Wait(5000) | Should -BeTrue
            $cts = [Threading.CancellationTokenSource]::new(5000)
            $receive = $ws.ReceiveAsync([ArraySegment[byte]]::new([byte[]]::new(1024)), $cts.Token)
            $server | Stop-RapidMockServer
            $receive.Wait(5000) | Should -BeTrue
            $receive.Result.MessageType | Should -Be 'Close'
            $receive.Result.CloseStatus | Should -Be 'EndpointUnavailable'
        }
        finally {
            $ws.Dispose()
            $server | Stop-RapidMockServer
        }
    }
}
