using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace RapidMessageTools.TestEnvironment;

/// <summary>One probed service: reachable or not, how fast, and if not, why.</summary>
public sealed class RapidServiceStatus
{
    public RapidServiceStatus(string name, string url, bool available, bool required, int? statusCode, double latencyMs, string? errorKind, string? error)
    {
        Name = name;
        Url = url;
        Available = available;
        Required = required;
        StatusCode = statusCode;
        LatencyMs = latencyMs;
        ErrorKind = errorKind;
        Error = error;
    }

    /// <summary>WebSocket, Backend, AuthService or TestToken (<see cref="RapidServiceNames"/>).</summary>
    public string Name { get; }

    /// <summary>The URL probed.</summary>
    public string Url { get; }

    public bool Available { get; }

    /// <summary>Whether <see cref="RapidEnvironmentReport.IsReady"/> depends on this service.</summary>
    public bool Required { get; }

    /// <summary>The HTTP status the service answered with (101 for a WebSocket upgrade), when it answered.</summary>
    public int? StatusCode { get; }

    /// <summary>Milliseconds until the answer (or until the failure).</summary>
    public double LatencyMs { get; }

    /// <summary>Null when available, else one of <see cref="RapidProbeErrorKinds"/>.</summary>
    public string? ErrorKind { get; }

    /// <summary>Null when available, else what went wrong, in words.</summary>
    public string? Error { get; }

    public override string ToString() =>
        Available
            ? string.Format(CultureInfo.InvariantCulture, "{0} {1}: available ({2:0.#} ms)", Name, Url, LatencyMs)
            : string.Format(CultureInfo.InvariantCulture, "{0} {1}: {2}", Name, Url, Error);
}
