using System;
using System.Globalization;

namespace RapidMessageTools.TestEnvironment;

/// <summary>Parsing of setting values from parameters and environment variables; null or false means "not valid".</summary>
internal static class SettingParsers
{
    public static string? TryParseMode(string value) =>
        value.Trim().ToUpperInvariant() switch
        {
            "MOCK" => RapidTestModes.Mock,
            "REAL" => RapidTestModes.Real,
            _ => null,
        };

    public static bool TryParseBool(string value, out bool result)
    {
        switch (value.Trim().ToUpperInvariant())
        {
            case "TRUE" or "1" or "YES" or "ON":
                result = true;
                return true;
            case "FALSE" or "0" or "NO" or "OFF":
                result = false;
                return true;
            default:
                result = false;
                return false;
        }
    }

    /// <summary>Invariant culture; finite values only (a comma decimal separator is not a number here).</summary>
    public static bool TryParseDouble(string value, out double result) =>
        double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out result) && !double.IsNaN(result) && !double.IsInfinity(result);

    public static bool InRange(double value, double min, double max) =>
        !double.IsNaN(value) && !double.IsInfinity(value) && value >= min && value <= max;

    /// <summary>The URL, trimmed (and without a trailing slash for HTTP base URLs), when it is absolute with the expected scheme and a host.</summary>
    public static string? TryParseUrl(string value, bool webSocket)
    {
        var text = value.Trim();
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            return null;
        }

        // A WebSocket setting takes ws(s), and http(s) for a SignalR hub (its protocol profile is checked against the scheme later).
        var ok = (webSocket && uri.Scheme is "ws" or "wss") || uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps;
        if (!ok)
        {
            return null;
        }

        return webSocket ? text : text.TrimEnd('/');
    }

    /// <summary>http://host:port for ws://host:port/..., https:// for wss://.</summary>
    public static string HttpOriginOf(string webSocketUrl)
    {
        var uri = new Uri(webSocketUrl);
        var scheme = uri.Scheme == "wss" ? "https" : "http";
        return scheme + "://" + uri.Authority;
    }
}
