using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;

namespace RapidMessageTools.TestEnvironment;

/// <summary>The values of <see cref="RapidSettings.Mode"/>, as <c>RAPID_MESSAGE_TEST_MODE</c> spells them.</summary>
public static class RapidTestModes
{
    public const string Mock = "mock";
    public const string Real = "real";
}

/// <summary>Where a setting's value came from (the values of <see cref="RapidSettings.Sources"/>).</summary>
public static class RapidSettingSources
{
    /// <summary>An explicit value: a cmdlet parameter.</summary>
    public const string Parameter = nameof(Parameter);

    /// <summary>An environment variable.</summary>
    public const string Environment = nameof(Environment);

    /// <summary>A mock server running in this PowerShell session (nothing else named a URL).</summary>
    public const string MockServer = nameof(MockServer);

    /// <summary>Mock mode: the same host and port as the configured WebSocket URL, since the mock serves everything on one port.</summary>
    public const string Derived = nameof(Derived);

    /// <summary>Nothing named a value: the built-in default.</summary>
    public const string Default = nameof(Default);
}

/// <summary>
/// Explicit values for <see cref="RapidSettings.Resolve(RapidSettingsInput, Func{string, string?}, out IReadOnlyList{string})"/>,
/// usually cmdlet parameters. Null means "not given": the environment variable, then the default, applies.
/// </summary>
public sealed class RapidSettingsInput
{
    public string? WebSocketUrl { get; set; }

    public string? BackendUrl { get; set; }

    public string? AuthServiceUrl { get; set; }

    /// <summary>"mock" or "real" (any case).</summary>
    public string? Mode { get; set; }

    public bool? SkipRealServices { get; set; }
}

/// <summary>
/// Where to find the services, resolved once: explicit value (parameter),
/// then environment variable, then default. Every value records its source in <see cref="Sources"/>.
/// Plain property types only, so it round-trips through Export-Clixml and ConvertTo-Json.
/// </summary>
public sealed class RapidSettings
{
    public const string WebSocketUrlVariable = "E2E_WEBSOCKET_URL";
    public const string BackendUrlVariable = "E2E_BACKEND_URL";
    public const string AuthServiceUrlVariable = "E2E_AUTH_SERVICE_URL";
    public const string ModeVariable = "RAPID_MESSAGE_TEST_MODE";
    public const string SkipRealServicesVariable = "SKIP_REAL_SERVICES";

    public const string DefaultWebSocketUrl = "ws://localhost:8000/ws";
    public const string DefaultBackendUrl = "http://localhost:8000";
    public const string DefaultAuthServiceUrl = "http://localhost:8001";

    private RapidSettings(
        string webSocketUrl,
        string backendUrl,
        string authServiceUrl,
        string mode,
        bool skipRealServices,
        IDictionary<string, string> sources)
    {
        WebSocketUrl = webSocketUrl;
        BackendUrl = backendUrl;
        AuthServiceUrl = authServiceUrl;
        Mode = mode;
        SkipRealServices = skipRealServices;
        Sources = new ReadOnlyDictionary<string, string>(new Dictionary<string, string>(sources, StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>The WebSocket endpoint (ws:// or wss://).</summary>
    public string WebSocketUrl { get; }

    /// <summary>The backend's base URL; its health endpoint is <c>{BackendUrl}/health</c>.</summary>
    public string BackendUrl { get; }

    /// <summary>The auth service's base URL; test users come from <c>POST {AuthServiceUrl}/auth/test-user</c>.</summary>
    public string AuthServiceUrl { get; }

    /// <summary>"mock" or "real" (<see cref="RapidTestModes"/>); SKIP_REAL_SERVICES=true makes it "mock".</summary>
    public string Mode { get; }

    public bool SkipRealServices { get; }


    /// <summary>For each property above, by name: Parameter, Environment, MockServer, Derived or Default (<see cref="RapidSettingSources"/>).</summary>
    public IReadOnlyDictionary<string, string> Sources { get; }

    public string WebSocketUrlSource => Sources[nameof(WebSocketUrl)];

    public string BackendUrlSource => Sources[nameof(BackendUrl)];

    public string AuthServiceUrlSource => Sources[nameof(AuthServiceUrl)];

    public string ModeSource => Sources[nameof(Mode)];

    /// <summary>True in mock mode.</summary>
    public bool IsMock => Mode == RapidTestModes.Mock;

    /// <summary>False when neither a parameter, an environment variable nor a session mock named the WebSocket URL.</summary>
    public bool IsWebSocketUrlConfigured => WebSocketUrlSource != RapidSettingSources.Default;

    /// <summary>Resolves the settings from <paramref name="explicitValues"/> and the process environment.</summary>
    public static RapidSettings Resolve(RapidSettingsInput? explicitValues, out IReadOnlyList<string> warnings) =>
        Resolve(explicitValues, System.Environment.GetEnvironmentVariable, out warnings);

    /// <summary>
    /// Resolves the settings: explicit value, then <paramref name="getEnv"/>, then default. An unparsable
    /// environment value adds a warning (naming the variable and the value) and the default stands.
    /// An invalid explicit value throws <see cref="ArgumentException"/> (ParamName: the input property).
    /// </summary>
    public static RapidSettings Resolve(RapidSettingsInput? explicitValues, Func<string, string?> getEnv, out IReadOnlyList<string> warnings)
    {
        if (getEnv is null)
        {
            throw new ArgumentNullException(nameof(getEnv));
        }

        var input = explicitValues ?? new RapidSettingsInput();
        var warningList = new List<string>();
        var sources = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? Env(string name)
        {
            var value = getEnv(name);
            return string.IsNullOrWhiteSpace(value) ? null : value!.Trim();
        }

        // Mode: parameter, then SKIP_REAL_SERVICES=true (forces mock), then RAPID_MESSAGE_TEST_MODE, then mock.
        var skip = ResolveBool(input.SkipRealServices, nameof(SkipRealServices), SkipRealServicesVariable, Env(SkipRealServicesVariable), false, sources, warningList);
        string mode;
        if (input.Mode is not null)
        {
            mode = SettingParsers.TryParseMode(input.Mode) ?? throw new ArgumentException($"Mode must be 'mock' or 'real', not '{input.Mode}'.", nameof(RapidSettingsInput.Mode));
            sources[nameof(Mode)] = RapidSettingSources.Parameter;
            if (skip && mode == RapidTestModes.Real)
            {
                warningList.Add($"{SkipRealServicesVariable}=true asks for mock services, but the explicit mode 'real' wins: the real services are used.");
            }
        }
        else
        {
            mode = RapidTestModes.Mock;
            sources[nameof(Mode)] = RapidSettingSources.Default;
            var envMode = Env(ModeVariable);
            if (envMode is not null)
            {
                var parsed = SettingParsers.TryParseMode(envMode);
                if (parsed is null)
                {
                    warningList.Add($"{ModeVariable}='{envMode}' is not 'mock' or 'real'; the default 'mock' stands.");
                }
                else
                {
                    mode = parsed;
                    sources[nameof(Mode)] = RapidSettingSources.Environment;
                }
            }

            if (skip)
            {
                mode = RapidTestModes.Mock;
                sources[nameof(Mode)] = sources[nameof(SkipRealServices)] == RapidSettingSources.Parameter ? RapidSettingSources.Parameter : RapidSettingSources.Environment;
            }
        }

        var webSocketUrl = ResolveUrl(input.WebSocketUrl, nameof(WebSocketUrl), WebSocketUrlVariable, Env(WebSocketUrlVariable), DefaultWebSocketUrl, webSocket: true, sources, warningList);
        var backendUrl = ResolveUrl(input.BackendUrl, nameof(BackendUrl), BackendUrlVariable, Env(BackendUrlVariable), DefaultBackendUrl, webSocket: false, sources, warningList);
        var authServiceUrl = ResolveUrl(input.AuthServiceUrl, nameof(AuthServiceUrl), AuthServiceUrlVariable, Env(AuthServiceUrlVariable), DefaultAuthServiceUrl, webSocket: false, sources, warningList);

        // The mock serves /ws, /health and /auth/test-user on one port: in mock mode a configured WebSocket URL
        // names the backend and the auth service too, unless they were given on their own.
        if (mode == RapidTestModes.Mock && sources[nameof(WebSocketUrl)] != RapidSettingSources.Default)
        {
            var origin = SettingParsers.HttpOriginOf(webSocketUrl);
            if (sources[nameof(BackendUrl)] == RapidSettingSources.Default)
            {
                backendUrl = origin;
                sources[nameof(BackendUrl)] = RapidSettingSources.Derived;
            }

            if (sources[nameof(AuthServiceUrl)] == RapidSettingSources.Default)
            {
                authServiceUrl = origin;
                sources[nameof(AuthServiceUrl)] = RapidSettingSources.Derived;
            }
        }


        warnings = warningList.AsReadOnly();
        return new RapidSettings(webSocketUrl, backendUrl, authServiceUrl, mode, skip, sources);
    }

    /// <summary>
    /// These settings with the URLs of a mock server running in this session in place of every URL that
    /// nothing configured (source Default or Derived); the source becomes MockServer.
    /// </summary>
    public RapidSettings WithMockServer(string webSocketUrl, string baseUrl)
    {
        var sources = new Dictionary<string, string>(Sources.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var kv in Sources)
        {
            sources[kv.Key] = kv.Value;
        }

        static bool Unset(string source) => source is RapidSettingSources.Default or RapidSettingSources.Derived;
        string Pick(string name, string current, string replacement)
        {
            if (!Unset(sources[name]))
            {
                return current;
            }

            sources[name] = RapidSettingSources.MockServer;
            return replacement;
        }

        var ws = Pick(nameof(WebSocketUrl), WebSocketUrl, webSocketUrl);
        var backend = Pick(nameof(BackendUrl), BackendUrl, baseUrl);
        var auth = Pick(nameof(AuthServiceUrl), AuthServiceUrl, baseUrl);
        return new RapidSettings(ws, backend, auth, Mode, SkipRealServices, sources);
    }

    public override string ToString() =>
        string.Format(CultureInfo.InvariantCulture, "{0} mode, {1} ({2})", Mode, WebSocketUrl, WebSocketUrlSource);

    private static bool ResolveBool(bool? explicitValue, string property, string variable, string? envValue, bool defaultValue, Dictionary<string, string> sources, List<string> warnings)
    {
        if (explicitValue is bool given)
        {
            sources[property] = RapidSettingSources.Parameter;
            return given;
        }

        if (envValue is not null)
        {
            if (SettingParsers.TryParseBool(envValue, out var parsed))
            {
                sources[property] = RapidSettingSources.Environment;
                return parsed;
            }

            warnings.Add($"{variable}='{envValue}' is not true or false; the default '{(defaultValue ? "true" : "false")}' stands.");
        }

        sources[property] = RapidSettingSources.Default;
        return defaultValue;
    }

    private static string ResolveUrl(string? explicitValue, string property, string variable, string? envValue, string defaultValue, bool webSocket, Dictionary<string, string> sources, List<string> warnings)
    {
        var expected = webSocket ? "an absolute ws:// or wss:// URL (or a SignalR hub's http(s):// URL)" : "an absolute http:// or https:// URL";
        if (explicitValue is not null)
        {
            var parsed = SettingParsers.TryParseUrl(explicitValue, webSocket)
                ?? throw new ArgumentException($"{property} must be {expected}, such as {defaultValue}, not '{explicitValue}'.", property);
            sources[property] = RapidSettingSources.Parameter;
            return parsed;
        }

        if (envValue is not null)
        {
            var parsed = SettingParsers.TryParseUrl(envValue, webSocket);
            if (parsed is not null)
            {
                sources[property] = RapidSettingSources.Environment;
                return parsed;
            }

            warnings.Add($"{variable}='{envValue}' is not {expected}; the default {defaultValue} stands.");
        }

        sources[property] = RapidSettingSources.Default;
        return defaultValue;
    }
}
