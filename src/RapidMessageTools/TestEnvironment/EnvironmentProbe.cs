using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Client;

namespace RapidMessageTools.TestEnvironment;

/// <summary>What to probe besides the basics.</summary>
public sealed class EnvironmentProbeOptions
{
    /// <summary>Time for the whole probe; the probes run concurrently, each within it.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Also fetch a test user from POST /auth/test-user and open the WebSocket with its token (Authorization: Bearer).</summary>
    public bool IncludeTokenCheck { get; set; }

    /// <summary>Where each probe's outcome is written (tokens redacted), when tracing.</summary>
    public FrameTraceWriter? Trace { get; set; }

    /// <summary>The protocol the WebSocket endpoint speaks: with a SignalR profile the probe negotiates first.</summary>
    public RapidMessageTools.Protocol.Profiles.ProtocolProfile Profile { get; set; } = RapidMessageTools.Protocol.Profiles.ProtocolProfile.Rapid;
}

/// <summary>
/// Probes the services a run needs, concurrently, under one deadline: the WebSocket endpoint (a real
/// upgrade, then a clean close), the backend's /health (200 and a JSON body), and the auth service
/// (any HTTP answer below 500 from its base URL counts as reachable). Never throws for a service that
/// is down: each failure becomes a <see cref="RapidServiceStatus"/> with its kind and words.
/// </summary>
public static class EnvironmentProbe
{
    private const int MaxHealthBodyChars = 64 * 1024;

    /// <summary>
    /// Probes the services <paramref name="settings"/> name. In mock mode with no WebSocket URL configured
    /// (source Default) it probes nothing and says how to start or name a mock.
    /// Returns within the timeout plus about a second.
    /// </summary>
    public static async Task<RapidEnvironmentReport> ProbeAsync(RapidSettings settings, EnvironmentProbeOptions? options, CancellationToken cancellationToken)
    {
        if (settings is null)
        {
            throw new ArgumentNullException(nameof(settings));
        }

        options ??= new EnvironmentProbeOptions();
        var timeout = options.Timeout > TimeSpan.Zero ? options.Timeout : TimeSpan.FromSeconds(5);
        var clock = Stopwatch.StartNew();
        if (settings.IsMock && !settings.IsWebSocketUrlConfigured)
        {
            return new RapidEnvironmentReport(
                settings.Mode,
                false,
                Array.Empty<RapidServiceStatus>(),
                "Mock mode, but no WebSocket URL is configured and no mock server runs in this session: run Start-RapidMockServer -SetEnvironment, or pass -Url (or set E2E_WEBSOCKET_URL).",
                settings,
                0);
        }

        var wsUri = new Uri(settings.WebSocketUrl);
        var healthUri = new Uri(settings.BackendUrl.TrimEnd('/') + "/health");
        var authUri = new Uri(settings.AuthServiceUrl.TrimEnd('/') + "/");
        TimeSpan Remaining() => timeout - clock.Elapsed;

        using var http = ProbeHttp.CreateClient();
        var backend = RunAsync(RapidServiceNames.Backend, healthUri, true, ct => ProbeHealthAsync(http, healthUri, ct), timeout, cancellationToken);
        var auth = RunAsync(RapidServiceNames.AuthService, authUri, options.IncludeTokenCheck, ct => ProbeAuthServiceAsync(http, authUri, ct), timeout, cancellationToken);
        var services = new List<Task<RapidServiceStatus>> { backend, auth };
        Task<RapidServiceStatus> webSocket;
        if (options.IncludeTokenCheck)
        {
            var endpoint = TestTokenClient.EndpointFor(settings.AuthServiceUrl);
            RapidTestToken? token = null;
            var tokenStatus = RunAsync(
                RapidServiceNames.TestToken,
                endpoint,
                true,
                async ct =>
                {
                    token = await TestTokenClient.PostAsync(http, endpoint, TestTokenClient.NewTestEmail(), ct).ConfigureAwait(false);
                    return token.IsExpired
                        ? new ProbeOutcome(200, new ProbeFailure(
                            RapidProbeErrorKinds.TokenExpired,
                            FormattableString.Invariant($"The auth service issued a token that expired at {token.ExpiresAt:u} (it is now {DateTime.UtcNow:u}): a backend that checks exp refuses it. Check the service's token lifetime and this machine's clock."),
                            200))
                        : new ProbeOutcome(200, null);
                },
                timeout,
                cancellationToken);
            services.Add(tokenStatus);

            // The WebSocket is opened with the token once there is one; without one it is tried anonymously,
            // so that a down endpoint and a missing token are told apart.
            webSocket = tokenStatus.ContinueWith(
                _ => Remaining() > TimeSpan.FromMilliseconds(50)
                    ? RunAsync(RapidServiceNames.WebSocket, wsUri, true, ct => ProbeWebSocketAsync(wsUri, token?.Token, options.Profile, ct), Remaining(), cancellationToken, timeout)
                    : Task.FromResult(new RapidServiceStatus(
                        RapidServiceNames.WebSocket,
                        wsUri.ToString(),
                        false,
                        true,
                        null,
                        0,
                        RapidProbeErrorKinds.NotAttempted,
                        string.Format(CultureInfo.InvariantCulture, "Not tried: the {0:0.###} s ran out while getting a test token; raise -TimeoutSec or fix the auth service.", timeout.TotalSeconds))),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default).Unwrap();
        }
        else
        {
            webSocket = RunAsync(RapidServiceNames.WebSocket, wsUri, true, ct => ProbeWebSocketAsync(wsUri, null, options.Profile, ct), timeout, cancellationToken);
        }

        services.Insert(0, webSocket);
        var statuses = await Task.WhenAll(services).ConfigureAwait(false);
        foreach (var status in statuses)
        {
            options.Trace?.Event(0, "probe " + status);
        }

        var ready = statuses.All(s => s.Available || !s.Required);
        return new RapidEnvironmentReport(settings.Mode, ready, statuses, Explain(settings, statuses, ready), settings, Math.Round(clock.Elapsed.TotalSeconds, 3));
    }

    /// <summary>The one sentence of the report: ready, or which service is down and what to do.</summary>
    internal static string Explain(RapidSettings settings, IReadOnlyList<RapidServiceStatus> statuses, bool ready)
    {
        var mode = settings.Mode + " mode";
        var optionalDown = statuses.Where(s => !s.Available && !s.Required).ToList();
        if (ready)
        {
            var text = $"Ready ({mode}): {string.Join(", ", statuses.Where(s => s.Available).Select(s => Describe(s.Name) + " " + s.Url))} answered.";
            if (optionalDown.Count > 0)
            {
                var a = optionalDown[0];
                text = text.TrimEnd('.') + $"; the auth service at {a.Url} did not ({a.ErrorKind}), so Get-RapidTestToken will fall back to mock tokens (fix -AuthServiceUrl or E2E_AUTH_SERVICE_URL for real ones).";
            }

            return text;
        }

        var down = statuses.Where(s => !s.Available && s.Required).ToList();
        var first = down[0];
        var names = string.Join(" and ", down.Select(s => Describe(s.Name) + " (" + s.Url + ")"));
        return $"Not ready ({mode}): {names} {(down.Count == 1 ? "is" : "are")} unavailable; {Lower(first.Error)} {Advice(settings, first)}".TrimEnd();
    }

    private static string Advice(RapidSettings settings, RapidServiceStatus failed)
    {
        if (failed.ErrorKind == RapidProbeErrorKinds.AuthRequired)
        {
            return string.Empty;
        }

        var (parameter, variable) = failed.Name switch
        {
            RapidServiceNames.WebSocket => ("-Url", RapidSettings.WebSocketUrlVariable),
            RapidServiceNames.Backend => ("-BackendUrl", RapidSettings.BackendUrlVariable),
            _ => ("-AuthServiceUrl", RapidSettings.AuthServiceUrlVariable),
        };
        return settings.IsMock
            ? $"Start a mock with Start-RapidMockServer -SetEnvironment, or fix the URL ({parameter} or {variable})."
            : $"Start the service or fix the URL ({parameter} or {variable}); to test against the mock instead, set SKIP_REAL_SERVICES=true and run Start-RapidMockServer -SetEnvironment.";
    }

    private static string Describe(string name) => name switch
    {
        RapidServiceNames.WebSocket => "the WebSocket endpoint",
        RapidServiceNames.Backend => "the backend /health",
        RapidServiceNames.AuthService => "the auth service",
        RapidServiceNames.TestToken => "the test-user endpoint",
        _ => name,
    };

    private static string Lower(string? text) =>
        string.IsNullOrEmpty(text) ? string.Empty : char.ToLowerInvariant(text![0]) + text.Substring(1);

    /// <summary>Runs one probe under the deadline and turns whatever happens into a status.</summary>
    /// <param name="timeout">The time this probe has.</param>
    /// <param name="reportedTimeout">The timeout to name in a Timeout error (the whole probe's), when it differs.</param>
    private static async Task<RapidServiceStatus> RunAsync(string name, Uri uri, bool required, Func<CancellationToken, Task<ProbeOutcome>> probe, TimeSpan timeout, CancellationToken cancellationToken, TimeSpan? reportedTimeout = null)
    {
        var clock = Stopwatch.StartNew();
        ProbeFailure? failure;
        ProbeOutcome? outcome = null;
        try
        {
            outcome = await Deadline.RunAsync(probe, timeout, cancellationToken).ConfigureAwait(false);
            failure = outcome.Failure;
        }
        catch (ProbeFailureException ex)
        {
            failure = ex.Failure;
        }
        catch (TimeoutException)
        {
            failure = ProbeErrors.Timeout(uri, reportedTimeout ?? timeout);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            failure = ProbeErrors.Cancelled();
        }
        catch (Exception ex)
        {
            failure = ProbeErrors.Classify(ex, uri);
        }

        var latency = Math.Round(outcome?.LatencyMs ?? clock.Elapsed.TotalMilliseconds, 1);
        return failure is ProbeFailure f
            ? new RapidServiceStatus(name, uri.ToString(), false, required, f.StatusCode, latency, f.Kind, f.Message)
            : new RapidServiceStatus(name, uri.ToString(), true, required, outcome!.StatusCode, latency, null, null);
    }

    private static async Task<ProbeOutcome> ProbeHealthAsync(HttpClient http, Uri uri, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        if (status != 200)
        {
            return new ProbeOutcome(status, ProbeErrors.HttpStatus(status, response.ReasonPhrase, uri));
        }

        var body = response.Content is null ? string.Empty : await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        if (body.Length > MaxHealthBodyChars)
        {
            body = body.Substring(0, MaxHealthBodyChars);
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return new ProbeOutcome(status, new ProbeFailure(
                RapidProbeErrorKinds.InvalidResponse,
                $"{uri} answered 200 but not with JSON: this is not the backend's health endpoint; check the backend URL.",
                status));
        }

        return new ProbeOutcome(status, null);
    }

    private static async Task<ProbeOutcome> ProbeAuthServiceAsync(HttpClient http, Uri uri, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        return status >= 500
            ? new ProbeOutcome(status, ProbeErrors.HttpStatus(status, response.ReasonPhrase, uri))
            : new ProbeOutcome(status, null);
    }

    private static async Task<ProbeOutcome> ProbeWebSocketAsync(Uri uri, string? token, RapidMessageTools.Protocol.Profiles.ProtocolProfile profile, CancellationToken cancellationToken)
    {
        if (profile.Transport == RapidMessageTools.Protocol.Profiles.ProfileTransport.SignalR)
        {
            // A hub: negotiate first (POST {hub}/negotiate), then open the WebSocket it names.
            try
            {
                uri = await HubNegotiation.NegotiateAsync(uri, token, profile.SkipNegotiation, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            }
            catch (HubNegotiationException ex)
            {
                throw new ProbeFailureException(ex.Status is int status ? ProbeErrors.Classify(ex, HubNegotiation.AsHttp(uri), status) : ProbeErrors.Classify(ex, uri));
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ProbeFailureException(ProbeErrors.Classify(ex, HubNegotiation.AsHttp(uri)));
            }
        }

        using var socket = new ClientWebSocket();
        WebSocketDetails.CollectResponseDetails(socket);
        if (token is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        }

        var clock = Stopwatch.StartNew();
        try
        {
            await socket.ConnectAsync(uri, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ProbeFailureException(ProbeErrors.Classify(ex, uri, WebSocketDetails.StatusCode(socket)));
        }

        var latency = clock.Elapsed.TotalMilliseconds;

        // A clean close; an endpoint that upgraded is available even if its close is slow.
        using var closing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        closing.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "environment probe", closing.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            socket.Abort();
        }

        return new ProbeOutcome(101, null) { LatencyMs = latency };
    }

    private sealed record ProbeOutcome(int? StatusCode, ProbeFailure? Failure)
    {
        public double? LatencyMs { get; init; }
    }
}
