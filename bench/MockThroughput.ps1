<#
.SYNOPSIS
    Measures the messages per second the mock backend sustains: one pipelined connection, and many
    connections at once. Prints a table and writes JSON. Measures only; asserts nothing.
.DESCRIPTION
    Starts the mock from the built module (out/RapidMessageTools) in this process and drives it with
    ClientWebSocket from a small C# driver compiled here (a PowerShell loop would measure PowerShell).
    Client and server share the process and the machine's cores, so the numbers are a floor for the
    server alone. Each connection sends all its user_messages as fast as it can while a second task
    reads; the clock runs from the first send to the last reply. Every reply is counted and checked:
    Answered + Rejected (queue_full) + Missing = Sent, and OutOfOrder counts replies whose
    sequence_id went backwards on their connection.
.EXAMPLE
    dotnet pwsh -NoProfile -File bench/MockThroughput.ps1
.EXAMPLE
    dotnet pwsh -NoProfile -File bench/MockThroughput.ps1 -SingleMessages 20000 -Connections 10 -PerConnection 500
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingWriteHost', '', Justification = 'talks to the person running it; results go to files and the pipeline')]
[CmdletBinding()]
param(
    # Messages on the single pipelined connection.
    [int] $SingleMessages = 100000,
    # Connections (each its own user) and messages on each, for the fan-in run.
    [int] $Connections = 100,
    [int] $PerConnection = 1000,
    # Queue capacity of the mock; large by default so the runs measure processing, not rejection.
    # Use the default 500 to see backpressure instead (rejections are counted).
    [int] $QueueCapacity = 1000000,
    [ValidateRange(1, 20)] [int] $Repeat = 3,
    [int] $TimeoutSec = 120,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/RapidMessageTools/RapidMessageTools.psd1'),
    [string] $ResultPath = (Join-Path $PSScriptRoot 'results/MockThroughput.json')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

if (-not (Test-Path $ModulePath)) { throw "No built module at $ModulePath; run: dotnet pwsh ./build.ps1 -Task Build" }
Import-Module $ModulePath -Force

if (-not ('MockThroughputDriver' -as [type])) {
    Add-Type -TypeDefinition @'
using System;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

public sealed class MockThroughputResult
{
    public int Connections;
    public long Sent;
    public long Answered;
    public long Rejected;
    public long Other;
    public long OutOfOrder;
    public long Missing;
    public double Seconds;
    public double MessagesPerSecond;
}

public static class MockThroughputDriver
{
    public static MockThroughputResult Run(string url, int connections, int perConnection, string runId, int timeoutSec)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSec));
        var sockets = new ClientWebSocket[connections];
        for (var i = 0; i < connections; i++)
        {
            sockets[i] = new ClientWebSocket();
            sockets[i].ConnectAsync(new Uri(url + "?user_id=" + runId + "-" + i), cts.Token).GetAwaiter().GetResult();
        }

        var result = new MockThroughputResult { Connections = connections, Sent = (long)connections * perConnection };
        var start = new ManualResetEventSlim(false);
        var clock = new Stopwatch();
        var tasks = new Task[connections * 2];
        for (var i = 0; i < connections; i++)
        {
            var ws = sockets[i];
            var prefix = runId + "-" + i + "-";
            tasks[2 * i] = Task.Run(async () =>
            {
                start.Wait(cts.Token);
                for (var n = 1; n <= perConnection; n++)
                {
                    var frame = Encoding.UTF8.GetBytes("{\"type\":\"user_message\",\"message_id\":\"" + prefix + n + "\",\"sequence_id\":" + n + ",\"content\":\"benchmark message " + n + "\"}");
                    await ws.SendAsync(new ArraySegment<byte>(frame), WebSocketMessageType.Text, true, cts.Token).ConfigureAwait(false);
                }
            });
            tasks[2 * i + 1] = Task.Run(() => ReceiveAsync(ws, perConnection, result, cts.Token));
        }

        clock.Start();
        start.Set();
        try
        {
            Task.WaitAll(tasks);
        }
        catch (AggregateException) when (cts.IsCancellationRequested)
        {
            // Timed out: what arrived is counted, the rest is Missing.
        }

        clock.Stop();
        foreach (var ws in sockets)
        {
            try
            {
                using var closeCts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, closeCts.Token).GetAwaiter().GetResult();
            }
            catch (Exception)
            {
            }

            ws.Dispose();
        }

        result.Seconds = clock.Elapsed.TotalSeconds;
        result.Missing = result.Sent - result.Answered - result.Rejected;
        result.MessagesPerSecond = result.Answered / result.Seconds;
        return result;
    }

    private static readonly byte[] AiResponse = Encoding.ASCII.GetBytes("{\"type\":\"ai_response\"");
    private static readonly byte[] QueueFull = Encoding.ASCII.GetBytes("\"code\":\"queue_full\"");
    private static readonly byte[] SequenceId = Encoding.ASCII.GetBytes("\"sequence_id\":");

    private static async Task ReceiveAsync(ClientWebSocket ws, int expected, MockThroughputResult result, CancellationToken token)
    {
        var buffer = new byte[64 * 1024];
        long answered = 0, rejected = 0, other = 0, outOfOrder = 0, lastSeq = 0;
        var filled = 0;
        while (answered + rejected < expected)
        {
            var r = await ws.ReceiveAsync(new ArraySegment<byte>(buffer, filled, buffer.Length - filled), token).ConfigureAwait(false);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                break;
            }

            filled += r.Count;
            if (!r.EndOfMessage)
            {
                continue;
            }

            var frame = new ReadOnlySpan<byte>(buffer, 0, filled);
            filled = 0;
            if (frame.StartsWith(AiResponse))
            {
                answered++;
                var at = frame.IndexOf(SequenceId);
                long seq = 0;
                for (var k = at + SequenceId.Length; at >= 0 && k < frame.Length && frame[k] >= (byte)'0' && frame[k] <= (byte)'9'; k++)
                {
                    seq = (seq * 10) + (frame[k] - '0');
                }

                if (seq < lastSeq)
                {
                    outOfOrder++;
                }

                lastSeq = seq;
            }
            else if (frame.IndexOf(QueueFull) >= 0)
            {
                rejected++;
            }
            else
            {
                other++;
            }
        }

        Interlocked.Add(ref result.Answered, answered);
        Interlocked.Add(ref result.Rejected, rejected);
        Interlocked.Add(ref result.Other, other);
        Interlocked.Add(ref result.OutOfOrder, outOfOrder);
    }
}
'@
}

$server = Start-RapidMockServer -QueueCapacity $QueueCapacity
try {
    $runs = foreach ($shape in @(
            @{ Name = 'single pipelined connection'; Connections = 1; PerConnection = $SingleMessages }
            @{ Name = "$Connections connections"; Connections = $Connections; PerConnection = $PerConnection })) {
        # One short warm-up run (JIT, thread pool), not reported.
        $null = [MockThroughputDriver]::Run($server.Url, [Math]::Min($shape.Connections, 4), 2000, 'warm-' + [guid]::NewGuid().ToString('N'), $TimeoutSec)
        $samples = foreach ($i in 1..$Repeat) {
            $r = [MockThroughputDriver]::Run($server.Url, $shape.Connections, $shape.PerConnection, 'run-' + [guid]::NewGuid().ToString('N'), $TimeoutSec)
            Write-Verbose ("{0} #{1}: {2:N0} msg/s ({3:N2} s)" -f $shape.Name, $i, $r.MessagesPerSecond, $r.Seconds)
            $r
        }
        $median = @($samples | Sort-Object MessagesPerSecond)[[int][Math]::Floor(($Repeat - 1) / 2)]
        [pscustomobject]@{
            Run               = $shape.Name
            Connections       = $shape.Connections
            Sent              = $median.Sent
            Answered          = $median.Answered
            Rejected          = $median.Rejected
            Missing           = $median.Missing
            OutOfOrder        = $median.OutOfOrder
            Seconds           = [Math]::Round($median.Seconds, 3)
            MessagesPerSecond = [long]$median.MessagesPerSecond
            AllRuns           = @($samples | ForEach-Object { [long]$_.MessagesPerSecond })
        }
    }
}
finally {
    $server | Stop-RapidMockServer
}

$report = [pscustomobject]@{
    Date          = [DateTimeOffset]::UtcNow.ToString('o')
    Machine       = [Environment]::MachineName
    Cores         = [Environment]::ProcessorCount
    Runtime       = [System.Runtime.InteropServices.RuntimeInformation]::FrameworkDescription
    QueueCapacity = $QueueCapacity
    Repeat        = $Repeat
    Runs          = $runs
}
New-Item -ItemType Directory -Path (Split-Path $ResultPath) -Force | Out-Null
$report | ConvertTo-Json -Depth 5 | Set-Content -Path $ResultPath -Encoding utf8
$runs | Format-Table Run, Sent, Answered, Rejected, Missing, OutOfOrder, Seconds, MessagesPerSecond -AutoSize | Out-String -Width 200 | Out-Host
Write-Host "Written $ResultPath"
