using System;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace RapidMessageTools.Client;

/// <summary>A SignalR negotiate that did not give a WebSocket to connect to: the hub's own words, or its HTTP status.</summary>
public sealed class HubNegotiationException : Exception
{
    public HubNegotiationException(string message, int? status = null)
        : base(message) => Status = status;

    public HubNegotiationException()
    {
    }

    public HubNegotiationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public int? Status { get; }
}

/// <summary>
/// ASP.NET Core SignalR's negotiate: <c>POST {hub}/negotiate?negotiateVersion=1</c> (the URL's own query
/// kept, the token as <c>Authorization: Bearer</c>), following a redirect answer (<c>url</c> and
/// <c>accessToken</c>, as Azure SignalR Service gives), then the WebSocket URL
/// <c>ws(s)://{hub}?{query}&amp;id={connectionToken}&amp;access_token={token}</c>.
/// </summary>
public static class HubNegotiation
{
    private const int MaxRedirects = 100;

    /// <summary>The hub URL as http(s), whatever scheme it was given with.</summary>
    public static Uri AsHttp(Uri url) => url.Scheme switch
    {
        "ws" => new UriBuilder(url) { Scheme = "http", Port = url.Port }.Uri,
        "wss" => new UriBuilder(url) { Scheme = "https", Port = url.Port }.Uri,
        _ => url,
    };

    /// <summary>The hub URL as ws(s).</summary>
    public static Uri AsWebSocket(Uri url) => url.Scheme switch
    {
        "http" => new UriBuilder(url) { Scheme = "ws", Port = url.Port }.Uri,
        "https" => new UriBuilder(url) { Scheme = "wss", Port = url.Port }.Uri,
        _ => url,
    };

    /// <summary>Negotiates and returns the WebSocket URL to open (token included as access_token).</summary>
    public static async Task<Uri> NegotiateAsync(Uri hub, string? token, bool skip, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (hub is null)
        {
            throw new ArgumentNullException(nameof(hub));
        }

        if (skip)
        {
            return WithQuery(AsWebSocket(hub), null, token);
        }

        using var http = new HttpClient { Timeout = timeout };
        for (var redirects = 0; redirects <= MaxRedirects; redirects++)
        {
            var negotiate = new UriBuilder(AsHttp(hub));
            negotiate.Path = negotiate.Path.TrimEnd('/') + "/negotiate";
            negotiate.Query = Append(negotiate.Query.TrimStart('?'), "negotiateVersion", "1");
            using var request = new HttpRequestMessage(HttpMethod.Post, negotiate.Uri) { Content = new StringContent(string.Empty) };
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new HubNegotiationException($"POST {negotiate.Uri.GetLeftPart(UriPartial.Path)} answered HTTP {(int)response.StatusCode}", (int)response.StatusCode);
            }

            using var doc = Parse(body, negotiate.Uri);
            var root = doc.RootElement;
            if (Text(root, "error") is { } error)
            {
                throw new HubNegotiationException("the hub refused the negotiation: " + error);
            }

            if (Text(root, "url") is { } redirect)
            {
                // Azure SignalR Service and other routers send the client on, with a token of their own.
                hub = new Uri(redirect);
                token = Text(root, "accessToken") ?? token;
                continue;
            }

            if (root.TryGetProperty("availableTransports", out var transports) && transports.ValueKind == JsonValueKind.Array)
            {
                var webSockets = false;
                foreach (var t in transports.EnumerateArray())
                {
                    webSockets |= Text(t, "transport") == "WebSockets";
                }

                if (!webSockets)
                {
                    throw new HubNegotiationException("the hub does not offer WebSockets among its transports (enable HttpTransportType.WebSockets on the hub)");
                }
            }

            var id = Text(root, "connectionToken") ?? Text(root, "connectionId")
                ?? throw new HubNegotiationException("the negotiate answer has no connectionToken or connectionId: " + Truncate(body));
            return WithQuery(AsWebSocket(hub), id, token);
        }

        throw new HubNegotiationException($"negotiate was redirected more than {MaxRedirects} times");
    }

    private static Uri WithQuery(Uri url, string? id, string? token)
    {
        var query = url.Query.TrimStart('?');
        if (id is not null)
        {
            query = Append(query, "id", id);
        }

        if (token is not null)
        {
            query = Append(query, "access_token", token);
        }

        return new UriBuilder(url) { Query = query }.Uri;
    }

    private static string Append(string query, string name, string value) =>
        query + (query.Length > 0 ? "&" : string.Empty) + name + "=" + Uri.EscapeDataString(value);

    private static JsonDocument Parse(string body, Uri from)
    {
        try
        {
            var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                return doc;
            }

            doc.Dispose();
        }
        catch (JsonException)
        {
        }

        throw new HubNegotiationException($"{from.GetLeftPart(UriPartial.Path)} did not answer with a negotiate object (is this a SignalR hub URL?): {Truncate(body)}");
    }

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string Truncate(string s) => s.Length > 200 ? s.Substring(0, 200) + "…" : s;
}
