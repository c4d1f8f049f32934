using System;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Authentication;
using System.Text.RegularExpressions;

namespace RapidMessageTools.TestEnvironment;

/// <summary>A failure in words, with its kind and (when the service answered) the HTTP status.</summary>
internal readonly record struct ProbeFailure(string Kind, string Message, int? StatusCode);

/// <summary>
/// Turns what a probe threw into a kind and a sentence a person can act on. Walks the inner exceptions,
/// since .NET wraps the cause (SocketException, AuthenticationException) in HttpRequestException,
/// WebSocketException or (on .NET Framework) WebException.
/// </summary>
internal static class ProbeErrors
{
    private static readonly Regex StatusInMessage = new("status code '(?<code>\\d{3})'", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    public static ProbeFailure Timeout(Uri uri, TimeSpan timeout) =>
        new(RapidProbeErrorKinds.Timeout, string.Format(CultureInfo.InvariantCulture, "No answer from {0} within {1:0.###} s: the service is hung or overloaded, or a firewall drops the packets.", uri.Authority, timeout.TotalSeconds), null);

    public static ProbeFailure Cancelled() => new(RapidProbeErrorKinds.Cancelled, "The probe was cancelled.", null);

    /// <summary>Classifies <paramref name="ex"/>; <paramref name="statusCode"/> is an HTTP status already known (e.g. from ClientWebSocket.HttpStatusCode).</summary>
    public static ProbeFailure Classify(Exception ex, Uri uri, int? statusCode = null)
    {
        var authority = uri.Authority;
        for (var e = ex; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SocketException se:
                    return FromSocket(se, uri);
                case AuthenticationException ae:
                    return new(RapidProbeErrorKinds.TlsFailure, $"TLS handshake with {authority} failed ({ae.Message}): the port may not speak TLS (use ws:// or http://), or its certificate is not trusted.", null);
                case WebException we when FromWebException(we, uri) is ProbeFailure wf:
                    return wf;
            }
        }

        if (ex is WebSocketException wse)
        {
            var code = statusCode ?? StatusFromMessage(wse) ?? StatusFromWebException(wse);
            if (code is int status)
            {
                return NotUpgraded(status, uri);
            }

            if (wse.WebSocketErrorCode == WebSocketError.NotAWebSocket)
            {
                return new(RapidProbeErrorKinds.NotWebSocket, $"{uri} answered without upgrading to a WebSocket: it is not a WebSocket endpoint; check the path (the mock's is /ws).", null);
            }
        }

        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is IOException or HttpRequestException && e.InnerException is null)
            {
                return new(RapidProbeErrorKinds.ConnectionReset, $"The connection to {authority} closed before an answer ({e.Message}): the service crashed, or the port speaks another protocol (TLS?).", null);
            }
        }

        return new(RapidProbeErrorKinds.Other, $"{uri}: {Innermost(ex).Message}", statusCode);
    }

    /// <summary>The WebSocket upgrade got <paramref name="status"/> instead of 101.</summary>
    public static ProbeFailure NotUpgraded(int status, Uri uri) =>
        status switch
        {
            401 or 403 => new(RapidProbeErrorKinds.AuthRequired, $"{uri} refused the upgrade with HTTP {status}: it wants a valid token; test with -IncludeTokenCheck, or connect with a token from Get-RapidTestToken.", status),
            404 => new(RapidProbeErrorKinds.NotWebSocket, $"{uri} answered HTTP 404: no WebSocket endpoint at this path; check the path (the mock's is /ws).", status),
            >= 500 => new(RapidProbeErrorKinds.HttpError, $"{uri} answered HTTP {status} to the WebSocket upgrade: the server failed; see its logs.", status),
            _ => new(RapidProbeErrorKinds.NotWebSocket, $"{uri} answered HTTP {status} instead of upgrading (101): it is not a WebSocket endpoint; check the URL (the mock's is ws://host:port/ws).", status),
        };

    public static ProbeFailure HttpStatus(int status, string? reason, Uri uri) =>
        new(RapidProbeErrorKinds.HttpError, string.Format(CultureInfo.InvariantCulture, "{0} answered HTTP {1}{2}: {3}", uri, status, string.IsNullOrEmpty(reason) ? string.Empty : " " + reason, status >= 500 ? "the service is failing; see its logs." : "check the URL."), status);

    private static ProbeFailure FromSocket(SocketException se, Uri uri)
    {
        var authority = uri.Authority;
        return se.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => new(RapidProbeErrorKinds.ConnectionRefused, $"Connection refused by {authority}: nothing listens on that port.", null),
            SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => new(RapidProbeErrorKinds.DnsFailure, $"The host name '{uri.Host}' does not resolve (DNS): check the host in the URL.", null),
            SocketError.TimedOut => new(RapidProbeErrorKinds.Timeout, $"Connecting to {authority} timed out: the host does not answer; check the host, the port and the firewall.", null),
            SocketError.NetworkUnreachable or SocketError.HostUnreachable or SocketError.NetworkDown or SocketError.HostDown => new(RapidProbeErrorKinds.Unreachable, $"{authority} is unreachable ({se.SocketErrorCode}): check the network and the host.", null),
            SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown => new(RapidProbeErrorKinds.ConnectionReset, $"{authority} reset the connection: the service crashed, or the port speaks another protocol.", null),
            _ => new(RapidProbeErrorKinds.Other, $"Socket error talking to {authority}: {se.SocketErrorCode} ({se.Message}).", null),
        };
    }

    /// <summary>.NET Framework reports through WebException.Status.</summary>
    private static ProbeFailure? FromWebException(WebException we, Uri uri)
    {
        if (we.Response is HttpWebResponse response)
        {
            return uri.Scheme is "ws" or "wss" ? NotUpgraded((int)response.StatusCode, uri) : HttpStatus((int)response.StatusCode, response.StatusDescription, uri);
        }

        return we.Status switch
        {
            WebExceptionStatus.NameResolutionFailure => new(RapidProbeErrorKinds.DnsFailure, $"The host name '{uri.Host}' does not resolve (DNS): check the host in the URL.", null),
            WebExceptionStatus.TrustFailure or WebExceptionStatus.SecureChannelFailure => new(RapidProbeErrorKinds.TlsFailure, $"TLS handshake with {uri.Authority} failed ({we.Message}): the port may not speak TLS (use ws:// or http://), or its certificate is not trusted.", null),
            WebExceptionStatus.Timeout => new(RapidProbeErrorKinds.Timeout, $"No answer from {uri.Authority} in time.", null),
            _ => null,
        };
    }

    private static int? StatusFromMessage(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            var m = StatusInMessage.Match(e.Message);
            if (m.Success)
            {
                return int.Parse(m.Groups["code"].Value, CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    private static int? StatusFromWebException(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is WebException { Response: HttpWebResponse r })
            {
                return (int)r.StatusCode;
            }
        }

        return null;
    }

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex;
    }
}
