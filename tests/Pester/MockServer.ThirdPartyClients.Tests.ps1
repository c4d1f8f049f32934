# The mock serves WebSocket clients other than .NET's: python3-websockets and node ws, where installed.
# Every server is on port 0, loopback, and stopped in AfterAll; every network wait has a timeout
# (Support/WsTestClient.ps1).
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseDeclaredVarsMoreThanAssignments', '', Justification = 'Pester: variables set in BeforeAll or BeforeDiscovery are read in It blocks and -ForEach, which the rule does not follow')]
param()

# The module, fresh, and the WebSocket test client with the checks these files share.
BeforeAll { . (Join-Path $PSScriptRoot 'Support/MockServerChecks.ps1') }
AfterAll { Clear-WsTestClient }

Describe 'Third-party WebSocket clients' -Tag 'Integration', 'External' {
    BeforeAll {
        $server = Start-RapidMockServer

        # Runs a program with a time limit; returns ExitCode (-1 when killed), StdOut and StdErr.
        function Invoke-BoundedProcess {
            param([string] $FilePath, [string[]] $ArgumentList, [hashtable] $Environment = @{}, [double] $TimeoutSec = 30)
            $psi = [System.Diagnostics.ProcessStartInfo]::new($FilePath)
            foreach ($a in $ArgumentList) { $psi.ArgumentList.Add($a) }
            foreach ($k in $Environment.Keys) { $psi.Environment[$k] = $Environment[$k] }
            $psi.RedirectStandardOutput = $true
            $psi.RedirectStandardError = $true
            $psi.UseShellExecute = $false
            $p = [System.Diagnostics.Process]::Start($psi)
            try {
                $out = $p.StandardOutput.ReadToEndAsync()
                $err = $p.StandardError.ReadToEndAsync()
                $code = if ($p.WaitForExit([int]($TimeoutSec * 1000))) { $p.ExitCode } else { $p.Kill($true); -1 }
                $p.WaitForExit()
                [pscustomobject]@{ ExitCode = $code; StdOut = $out.GetAwaiter().GetResult(); StdErr = $err.GetAwaiter().GetResult() }
            }
            finally {
                $p.Dispose()
            }
        }

        # The same check for every client: 5 answers in order, then message_count 5, then a prompt close.
        function Assert-ClientRun {
            param($Run)
            $Run.ExitCode | Should -Be 0 -Because $Run.StdErr
            $result = $Run.StdOut | ConvertFrom-Json
            $result.replies.Count | Should -Be 5
            $result.replies.type | Sort-Object -Unique | Should -Be 'ai_response'
            $result.replies.sequence_id | Should -Be (1..5)
            $result.replies[0].content | Should -Be 'AI response to: external 1'
            $result.state.type | Should -Be 'agent_state'
            $result.state.message_count | Should -Be 5
            $result.close_code | Should -Be 1000
            $result.close_seconds | Should -BeLessThan 2
        }
    }
    AfterAll {
        $server | Stop-RapidMockServer
    }

    It 'serves python3-websockets' {
        $hasPython = (Test-Path /usr/bin/python3) -and (Invoke-BoundedProcess /usr/bin/python3 @('-c', 'import websockets') -TimeoutSec 20).ExitCode -eq 0
        if (-not $hasPython) {
            Set-ItResult -Skipped -Because '/usr/bin/python3 with python3-websockets is not installed (apt-get install python3-websockets)'
            return
        }
        $script = Join-Path $TestDrive 'client.py'
        Set-Content -Path $script -Encoding utf8 -Value @'
import asyncio, json, sys, time
import websockets

async def main(url):
    # close_timeout=10: a server that keeps TCP open after the close handshake makes close() wait 10 s.
    ws = await asyncio.wait_for(websockets.connect(url, close_timeout=10), 5)
    for i in range(1, 6):
        await ws.send(json.dumps({"type": "user_message", "message_id": "py-%d" % i, "sequence_id": i, "content": "external %d" % i}))
    replies = []
    while len(replies) < 5:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if frame["type"] == "ai_response":
            replies.append(frame)
    await ws.send(json.dumps({"type": "get_agent_state", "request_id": "py-state"}))
    state = None
    while state is None:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if frame.get("request_id") == "py-state":
            state = frame
    started = time.monotonic()
    await ws.close()
    await asyncio.wait_for(ws.wait_closed(), 15)
    print(json.dumps({"replies": replies, "state": state, "close_code": ws.close_code, "close_seconds": time.monotonic() - started}))

asyncio.run(asyncio.wait_for(main(sys.argv[1]), 40))
'@
        $run = Invoke-BoundedProcess /usr/bin/python3 @($script, "$($server.Url)?user_id=$(New-TestId 'py')") -TimeoutSec 45
        Write-Information -InformationAction Continue "python3-websockets: close took $(($run.StdOut | ConvertFrom-Json).close_seconds) s"
        Assert-ClientRun $run
    }

    It 'serves node ws' {
        $node = Get-Command node -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
        $nodeEnv = @{ NODE_PATH = '/usr/share/nodejs' }
        $hasWs = $node -and (Invoke-BoundedProcess $node.Source @('-e', "require('ws')") -Environment $nodeEnv -TimeoutSec 20).ExitCode -eq 0
        if (-not $hasWs) {
            Set-ItResult -Skipped -Because 'node with the ws module is not installed (apt-get install node-ws)'
            return
        }
        $script = Join-Path $TestDrive 'client.js'
        Set-Content -Path $script -Encoding utf8 -Value @'
const WebSocket = require('ws');
const url = process.argv[2];
const replies = [];
let state = null, closeStarted = null;
const timer = setTimeout(() => { console.error('timed out'); process.exit(2); }, 40000);
// closeTimeout 10 s: a server that keeps TCP open after the close handshake makes 'close' wait 10 s.
const ws = new WebSocket(url, { handshakeTimeout: 5000, closeTimeout: 10000 });
ws.on('error', e => { console.error(String(e)); process.exit(3); });
ws.on('open', () => {
  for (let i = 1; i <= 5; i++) {
    ws.send(JSON.stringify({ type: 'user_message', message_id: 'js-' + i, sequence_id: i, content: 'external ' + i }));
  }
});
ws.on('message', data => {
  const f = JSON.parse(data.toString());
  if (f.type === 'ai_response') {
    replies.push(f);
    if (replies.length === 5) ws.send(JSON.stringify({ type: 'get_agent_state', request_id: 'js-state' }));
  } else if (f.request_id === 'js-state') {
    state = f;
    closeStarted = process.hrtime.bigint();
    ws.close(1000);
  }
});
ws.on('close', code => {
  const seconds = closeStarted === null ? null : Number(process.hrtime.bigint() - closeStarted) / 1e9;
  clearTimeout(timer);
  console.log(JSON.stringify({ replies, state, close_code: code, close_seconds: seconds }));
});
'@
        $run = Invoke-BoundedProcess $node.Source @($script, "$($server.Url)?user_id=$(New-TestId 'js')") -Environment $nodeEnv -TimeoutSec 45
        Write-Information -InformationAction Continue "node ws: close took $(($run.StdOut | ConvertFrom-Json).close_seconds) s"
        Assert-ClientRun $run
    }
}
