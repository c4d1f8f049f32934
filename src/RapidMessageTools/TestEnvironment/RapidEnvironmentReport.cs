using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

using RapidMessageTools.Client;

namespace RapidMessageTools.TestEnvironment;

/// <summary>Why a probe failed (the values of <see cref="RapidServiceStatus.ErrorKind"/>), so scripts need not read the text.</summary>
public static class RapidProbeErrorKinds
{
    /// <summary>Nothing listens on the port (TCP reset on connect).</summary>
    public const string ConnectionRefused = nameof(ConnectFailure.ConnectionRefused);

    /// <summary>The host name does not resolve.</summary>
    public const string DnsFailure = nameof(ConnectFailure.DnsFailure);

    /// <summary>The TLS handshake failed (certificate, protocol, or not a TLS port).</summary>
    public const string TlsFailure = nameof(ConnectFailure.TlsFailure);

    /// <summary>No answer within the timeout.</summary>
    public const string Timeout = nameof(ConnectFailure.Timeout);

    /// <summary>The service answered with an HTTP error status.</summary>
    public const string HttpError = nameof(ConnectFailure.HttpError);

    /// <summary>The URL answered HTTP but did not upgrade to a WebSocket (status other than 101).</summary>
    public const string NotWebSocket = nameof(ConnectFailure.NotWebSocket);

    /// <summary>The WebSocket endpoint refused the upgrade for want of a (valid) token: 401 or 403.</summary>
    public const string AuthRequired = nameof(ConnectFailure.AuthRequired);

    /// <summary>The auth service issued a token whose exp is already past (a misconfigured service, or this machine's clock is off).</summary>
    public const string TokenExpired = nameof(TokenExpired);

    /// <summary>The service answered, but not what the protocol says (e.g. /health not JSON, no token in the answer).</summary>
    public const string InvalidResponse = nameof(InvalidResponse);

    /// <summary>The connection was reset or closed mid-exchange.</summary>
    public const string ConnectionReset = nameof(ConnectFailure.ConnectionReset);

    /// <summary>The network or host is unreachable.</summary>
    public const string Unreachable = nameof(ConnectFailure.Unreachable);

    /// <summary>The caller cancelled (Ctrl+C).</summary>
    public const string Cancelled = nameof(Cancelled);

    /// <summary>A step was not attempted because an earlier one failed.</summary>
    public const string NotAttempted = nameof(NotAttempted);

    /// <summary>Anything else; <see cref="RapidServiceStatus.Error"/> has the exception's message.</summary>
    public const string Other = nameof(Other);
}

/// <summary>The names of the probed services (<see cref="RapidServiceStatus.Name"/>).</summary>
public static class RapidServiceNames
{
    public const string WebSocket = nameof(WebSocket);
    public const string Backend = nameof(Backend);
    public const string AuthService = nameof(AuthService);
    public const string TestToken = nameof(TestToken);
}

/// <summary>What Test-RapidEnvironment found: can the tests run, and if not, what to do.</summary>
public sealed class RapidEnvironmentReport
{
    public RapidEnvironmentReport(string mode, bool isReady, IEnumerable<RapidServiceStatus> services, string reason, RapidSettings settings, double durationSec)
    {
        Mode = mode;
        IsReady = isReady;
        Services = (services ?? throw new ArgumentNullException(nameof(services))).ToArray();
        Reason = reason;
        Settings = settings;
        DurationSec = durationSec;
        Timestamp = DateTime.UtcNow;
    }

    /// <summary>"mock" or "real".</summary>
    public string Mode { get; }

    /// <summary>True when every required service is available.</summary>
    public bool IsReady { get; }

    public RapidServiceStatus[] Services { get; }

    /// <summary>One sentence: ready, or which service is down and what to do about it.</summary>
    public string Reason { get; }

    /// <summary>The settings the probes used, with the source of each value.</summary>
    public RapidSettings Settings { get; }

    /// <summary>Seconds the probes took together.</summary>
    public double DurationSec { get; }

    /// <summary>When the probes ran (UTC).</summary>
    public DateTime Timestamp { get; }

    public override string ToString() => Reason;
}
