# Loopback test servers: a canned HTTP answer for any request, a port that accepts TCP and never answers,
# and a closed port; and saving and restoring the E2E_*/RAPID_* variables. Dot-source inside BeforeAll;
# dispose every server in AfterAll.
if (-not ('RapidTestHelpers.CannedHttpServer' -as [type])) {
    Add-Type -TypeDefinition @'
using System;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace RapidTestHelpers
{
    /// <summary>Answers every HTTP request (WebSocket upgrades included) with one status and body, then closes.</summary>
    public sealed class CannedHttpServer : IDisposable
    {
        private readonly TcpListener _listener = new TcpListener(IPAddress.Loopback, 0);
        private readonly byte[] _response;
        private int _requests;

        public CannedHttpServer(int status, string contentType, string body)
        {
            var payload = Encoding.UTF8.GetBytes(body);
            var head = "HTTP/1.1 " + status + " " + (status == 200 ? "OK" : status == 500 ? "Internal Server Error" : "Status") + "\r\n" +
                       "Content-Type: " + contentType + "\r\nContent-Length: " + payload.Length + "\r\nConnection: close\r\n\r\n";
            _response = new byte[Encoding.ASCII.GetByteCount(head) + payload.Length];
            Encoding.ASCII.GetBytes(head, 0, head.Length, _response, 0);
            payload.CopyTo(_response, _response.Length - payload.Length);
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            Task.Run(AcceptLoop);
        }

        public int Port { get; private set; }
        public string BaseUrl { get { return "http://127.0.0.1:" + Port; } }
        public string WebSocketUrl { get { return "ws://127.0.0.1:" + Port + "/ws"; } }
        public int Requests { get { return Volatile.Read(ref _requests); } }

        private async Task AcceptLoop()
        {
            while (true)
            {
                TcpClient client;
                try { client = await _listener.AcceptTcpClientAsync(); }
                catch (Exception) { return; }
                var _ = Task.Run(() => Serve(client));
            }
        }

        private async Task Serve(TcpClient client)
        {
            using (client)
            {
                try
                {
                    var stream = client.GetStream();
                    var buffer = new byte[16 * 1024];
                    var seen = new StringBuilder();
                    while (seen.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal) < 0)
                    {
                        var n = await stream.ReadAsync(buffer, 0, buffer.Length);
                        if (n == 0) return;
                        seen.Append(Encoding.ASCII.GetString(buffer, 0, n));
                    }
                    Interlocked.Increment(ref _requests);
                    await stream.WriteAsync(_response, 0, _response.Length);
                    await stream.FlushAsync();
                }
                catch (Exception) { }
            }
        }

        public void Dispose() { _listener.Stop(); }
    }

    /// <summary>Accepts TCP connections and never answers: a hung service.</summary>
    public sealed class SilentTcpServer : IDisposable
    {
        private readonly TcpListener _listener = new TcpListener(IPAddress.Loopback, 0);
        private readonly ConcurrentBag<TcpClient> _held = new ConcurrentBag<TcpClient>();

        public SilentTcpServer()
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            Task.Run(AcceptLoop);
        }

        public int Port { get; private set; }
        public string BaseUrl { get { return "http://127.0.0.1:" + Port; } }
        public string WebSocketUrl { get { return "ws://127.0.0.1:" + Port + "/ws"; } }

        private async Task AcceptLoop()
        {
            while (true)
            {
                try { _held.Add(await _listener.AcceptTcpClientAsync()); }
                catch (Exception) { return; }
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            TcpClient c;
            while (_held.TryTake(out c)) { c.Dispose(); }
        }
    }
}
'@
}

# A loopback port with nothing listening: taken from the OS, then released.
function Get-ClosedPort {
    $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $probe.Start()
    try { $probe.LocalEndpoint.Port } finally { $probe.Stop() }
}

# The environment variables the module reads; tests clear them and put them back.
$script:RapidVariableNames = @(
    'E2E_WEBSOCKET_URL', 'E2E_BACKEND_URL', 'E2E_AUTH_SERVICE_URL', 'RAPID_MESSAGE_TEST_MODE', 'SKIP_REAL_SERVICES',
    'RAPID_TEST_MAX_MEMORY_GROWTH', 'RAPID_TEST_MIN_THROUGHPUT', 'RAPID_TEST_MAX_LATENCY', 'RAPID_TEST_MIN_DELIVERY_RATIO'
)

function Save-RapidEnvironment {
    $saved = @{}
    foreach ($name in $script:RapidVariableNames) {
        $saved[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, $null)
    }
    $saved
}

function Restore-RapidEnvironment {
    param([hashtable] $Saved)
    foreach ($name in $script:RapidVariableNames) {
        [Environment]::SetEnvironmentVariable($name, $Saved[$name])
    }
}
