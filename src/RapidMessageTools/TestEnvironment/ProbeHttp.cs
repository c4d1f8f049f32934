using System.Net.Http;
using System.Threading;

namespace RapidMessageTools.TestEnvironment;

/// <summary>HttpClients for probes: one per probe run, so each measures a fresh connection and none keeps a pooled one to a stopped server.</summary>
internal static class ProbeHttp
{
    public static HttpClient CreateClient()
    {
#pragma warning disable CA2000 // The client owns and disposes the handler.
        var handler = new HttpClientHandler { AllowAutoRedirect = true, MaxAutomaticRedirections = 3 };
#pragma warning restore CA2000
        var client = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("RapidMessageTools/" + typeof(ProbeHttp).Assembly.GetName().Version);
        return client;
    }
}
