using System;
using RapidMessageTools.Protocol.Profiles;

namespace RapidMessageTools.Client;

/// <summary>How the token travels to the server.</summary>
public enum TokenTransport
{
    /// <summary><c>Authorization: Bearer &lt;token&gt;</c> on the upgrade request.</summary>
    Header,

    /// <summary><c>?token=&lt;token&gt;</c> on the URL.</summary>
    Query,
}

/// <summary>Where and how to connect, and how hard to try.</summary>
public sealed class ConnectionOptions
{
    public ConnectionOptions(string url) => Url = url;

    /// <summary>The WebSocket URL, ws:// or wss:// (for a SignalR profile, the hub's URL: http(s) or ws(s)).</summary>
    public string Url { get; }

    /// <summary>How the backend speaks: the built-in protocol, or a profile.</summary>
    public ProtocolProfile Profile { get; set; } = ProtocolProfile.Rapid;

    /// <summary>Where the run's connections report frames that did not match the profile; null to not collect.</summary>
    public ProtocolObservations? Observations { get; set; }

    public string? Token { get; set; }

    public TokenTransport TokenTransport { get; set; } = TokenTransport.Header;

    /// <summary>Sent as <c>?user_id=</c> when there is no token, so a run's users stay apart on a server without auth.</summary>
    public string? UserId { get; set; }

    /// <summary>Connection attempts before giving up (at least 1).</summary>
    public int ConnectAttempts { get; set; } = 3;

    /// <summary>First backoff, seconds; doubles per attempt, with up to 50% jitter.</summary>
    public double BackoffSeconds { get; set; } = 0.5;

    /// <summary>Seconds one attempt may take.</summary>
    public double ConnectTimeoutSec { get; set; } = 10;

    /// <summary>Seconds one send may stay blocked (a server that stopped reading) before the connection is aborted.</summary>
    public double SendTimeoutSec { get; set; } = 10;

    /// <summary>Where every frame is written, when tracing.</summary>
    public FrameTraceWriter? Trace { get; set; }

    /// <summary>Against a real backend (RAPID_MESSAGE_TEST_MODE=real): failures advise about real services, not about starting the mock.</summary>
    public bool RealBackend { get; set; }

    /// <summary>The URL with the query the options add (user id, token), as sent.</summary>
    public Uri BuildUri()
    {
        var hub = Profile.Transport == ProfileTransport.SignalR;
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || (uri.Scheme != "ws" && uri.Scheme != "wss" && !(hub && uri.Scheme is "http" or "https")))
        {
            throw new ArgumentException(hub
                ? $"'{Url}' is not a SignalR hub URL: use http(s)://host:port/hub (or ws(s)://)."
                : $"'{Url}' is not a WebSocket URL: use ws://host:port/path or wss://…");
        }

        var query = uri.Query.TrimStart('?');
        void Add(string name, string value)
        {
            query += (query.Length > 0 ? "&" : string.Empty) + name + "=" + Uri.EscapeDataString(value);
        }

        if (Token is not null && TokenTransport == TokenTransport.Query)
        {
            Add("token", Token);
        }
        else if (Token is null && UserId is not null)
        {
            Add("user_id", UserId);
        }

        return new UriBuilder(uri) { Query = query }.Uri;
    }

    /// <summary>A URL fit for messages and logs: any token replaced by ***.</summary>
    public static string Redact(string url) =>
        System.Text.RegularExpressions.Regex.Replace(url, "([?&](?:access_)?token=)[^&#]*", "$1***");
}
