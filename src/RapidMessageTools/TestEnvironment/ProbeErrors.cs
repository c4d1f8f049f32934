using System;
using System.Globalization;
using RapidMessageTools.Client;

namespace RapidMessageTools.TestEnvironment;

/// <summary>A failure in words, with its kind and (when the service answered) the HTTP status.</summary>
internal readonly record struct ProbeFailure(string Kind, string Message, int? StatusCode);

/// <summary>
/// Turns what a probe threw into a kind and a sentence a person can act on; the kind comes from the
/// client's classifier (ConnectionFailures), so a connection and a probe name a failure alike.
/// </summary>
internal static class ProbeErrors
{
    public static ProbeFailure Timeout(Uri uri, TimeSpan timeout) =>
        new(RapidProbeErrorKinds.Timeout, string.Format(CultureInfo.InvariantCulture, "No answer from {0} within {1:0.###} s: the service is hung or overloaded, or a firewall drops the packets.", uri.Authority, timeout.TotalSeconds), null);

    public static ProbeFailure Cancelled() => new(RapidProbeErrorKinds.Cancelled, "The probe was cancelled.", null);

    /// <summary>
    /// Classifies <paramref name="ex"/> with the client's classifier (<see cref="ConnectionFailures"/>) and says
    /// what to do; <paramref name="statusCode"/> is an HTTP status already known (e.g. from ClientWebSocket.HttpStatusCode).
    /// </summary>
    public static ProbeFailure Classify(Exception ex, Uri uri, int? statusCode = null)
    {
        var (kind, status) = ConnectionFailures.Classify(ex, statusCode);
        var authority = uri.Authority;
        if (status is int code && kind is ConnectFailure.AuthRequired or ConnectFailure.NotWebSocket or ConnectFailure.HttpError)
        {
            return uri.Scheme is "ws" or "wss" ? NotUpgraded(code, uri) : HttpStatus(code, null, uri);
        }

        var cause = Innermost(ex).Message;
        return kind switch
        {
            ConnectFailure.ConnectionRefused => new(RapidProbeErrorKinds.ConnectionRefused, $"Connection refused by {authority}: nothing listens on that port.", null),
            ConnectFailure.DnsFailure => new(RapidProbeErrorKinds.DnsFailure, $"The host name '{uri.Host}' does not resolve (DNS): check the host in the URL.", null),
            ConnectFailure.Timeout => new(RapidProbeErrorKinds.Timeout, $"Connecting to {authority} timed out: the host does not answer; check the host, the port and the firewall.", null),
            ConnectFailure.Unreachable => new(RapidProbeErrorKinds.Unreachable, $"{authority} is unreachable ({cause}): check the network and the host.", null),
            ConnectFailure.ConnectionReset => new(RapidProbeErrorKinds.ConnectionReset, $"The connection to {authority} closed before an answer ({cause}): the service crashed, or the port speaks another protocol (TLS?).", null),
            ConnectFailure.TlsFailure => new(RapidProbeErrorKinds.TlsFailure, $"TLS handshake with {authority} failed ({cause}): the port may not speak TLS (use ws:// or http://), or its certificate is not trusted.", null),
            ConnectFailure.NotWebSocket => new(RapidProbeErrorKinds.NotWebSocket, $"{uri} answered without upgrading to a WebSocket: it is not a WebSocket endpoint; check the path (the mock's is /ws).", null),
            _ => new(RapidProbeErrorKinds.Other, $"{uri}: {cause}", statusCode),
        };
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

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex;
    }
}
