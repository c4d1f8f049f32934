using System;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Authentication;
using System.Text.RegularExpressions;

namespace RapidMessageTools.Client;

/// <summary>Why a connection (or an HTTP request of a probe) failed. The environment probe reports the same names.</summary>
public enum ConnectFailure
{
    /// <summary>Nothing listens on the port (TCP reset on connect).</summary>
    ConnectionRefused,

    /// <summary>No answer in time.</summary>
    Timeout,

    /// <summary>The host name does not resolve.</summary>
    DnsFailure,

    /// <summary>The upgrade was refused for want of a (valid) token: HTTP 401 or 403.</summary>
    AuthRequired,

    /// <summary>The URL answered HTTP but did not upgrade to a WebSocket.</summary>
    NotWebSocket,

    /// <summary>The service answered with an HTTP server error (5xx).</summary>
    HttpError,

    /// <summary>The TLS handshake failed.</summary>
    TlsFailure,

    /// <summary>The connection was reset or closed mid-exchange.</summary>
    ConnectionReset,

    /// <summary>The network or host is unreachable.</summary>
    Unreachable,

    Other,
}

/// <summary>
/// The one classifier of connection failures, for the client and the environment probe: walks the inner
/// exceptions (.NET wraps the cause — SocketException, AuthenticationException — in WebSocketException,
/// HttpRequestException or, on .NET Framework, WebException) and reads the HTTP status of a refused upgrade.
/// </summary>
public static class ConnectionFailures
{
    private static readonly Regex StatusInMessage = new("'(?<code>\\d{3})'", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>
    /// The kind of <paramref name="ex"/> and the HTTP status when the server answered one.
    /// <paramref name="knownStatus"/>: a status already read (ClientWebSocket.HttpStatusCode); <paramref name="timedOut"/>: our own deadline fired.
    /// </summary>
    public static (ConnectFailure Kind, int? Status) Classify(Exception ex, int? knownStatus = null, bool timedOut = false)
    {
        if (ex is null)
        {
            throw new ArgumentNullException(nameof(ex));
        }

        if (timedOut && ex is OperationCanceledException)
        {
            return (ConnectFailure.Timeout, null);
        }

        var status = knownStatus ?? StatusOf(ex);
        for (var e = ex; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SocketException se:
                    return (FromSocket(se.SocketErrorCode), status);
                case AuthenticationException:
                    return (ConnectFailure.TlsFailure, status);
                case WebException we when FromWebException(we) is ConnectFailure kind:
                    return (kind, status);
            }
        }

        if (status is int code)
        {
            return (FromUpgradeStatus(code), code);
        }

        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is WebSocketException { WebSocketErrorCode: WebSocketError.NotAWebSocket })
            {
                return (ConnectFailure.NotWebSocket, null);
            }

            if (e is IOException or HttpRequestException && e.InnerException is null)
            {
                return (ConnectFailure.ConnectionReset, null);
            }
        }

        return (ConnectFailure.Other, null);
    }

    /// <summary>What an upgrade answered with <paramref name="status"/> instead of 101 means.</summary>
    public static ConnectFailure FromUpgradeStatus(int status) => status switch
    {
        401 or 403 => ConnectFailure.AuthRequired,
        >= 500 => ConnectFailure.HttpError,
        _ => ConnectFailure.NotWebSocket,
    };

    /// <summary>Whether another attempt could change the answer (refused or timed out: yes; a 401 or bad DNS: no).</summary>
    public static bool IsWorthRetrying(ConnectFailure kind) =>
        kind is not (ConnectFailure.AuthRequired or ConnectFailure.NotWebSocket or ConnectFailure.DnsFailure or ConnectFailure.TlsFailure);

    private static ConnectFailure FromSocket(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => ConnectFailure.ConnectionRefused,
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => ConnectFailure.DnsFailure,
        SocketError.TimedOut => ConnectFailure.Timeout,
        SocketError.NetworkUnreachable or SocketError.HostUnreachable or SocketError.NetworkDown or SocketError.HostDown => ConnectFailure.Unreachable,
        SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown => ConnectFailure.ConnectionReset,
        _ => ConnectFailure.Other,
    };

    /// <summary>.NET Framework reports through WebException.Status.</summary>
    private static ConnectFailure? FromWebException(WebException we) => we.Status switch
    {
        WebExceptionStatus.NameResolutionFailure => ConnectFailure.DnsFailure,
        WebExceptionStatus.TrustFailure or WebExceptionStatus.SecureChannelFailure => ConnectFailure.TlsFailure,
        WebExceptionStatus.Timeout => ConnectFailure.Timeout,
        WebExceptionStatus.ConnectFailure when we.InnerException is null => ConnectFailure.ConnectionRefused,
        _ => null,
    };

    /// <summary>The HTTP status a refused upgrade carried: from a WebException's response, or the runtime's message ("status code '401'").</summary>
    private static int? StatusOf(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is WebException { Response: HttpWebResponse r })
            {
                return (int)r.StatusCode;
            }

            if (e is WebSocketException)
            {
                var m = StatusInMessage.Match(e.Message);
                if (m.Success)
                {
                    return int.Parse(m.Groups["code"].Value, CultureInfo.InvariantCulture);
                }
            }
        }

        return null;
    }
}
