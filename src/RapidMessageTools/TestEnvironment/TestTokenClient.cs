using System;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Protocol;

namespace RapidMessageTools.TestEnvironment;

/// <summary>The answer of <see cref="TestTokenClient.RequestAsync"/>: a token from the auth service, or why there is none.</summary>
public sealed class TestTokenOutcome
{
    internal TestTokenOutcome(RapidTestToken? token, string endpoint, ProbeFailure? failure, double latencyMs)
    {
        Token = token;
        Endpoint = endpoint;
        ErrorKind = failure?.Kind;
        Error = failure?.Message;
        StatusCode = failure?.StatusCode;
        LatencyMs = latencyMs;
    }

    /// <summary>The token, when the auth service issued one.</summary>
    public RapidTestToken? Token { get; }

    public bool Succeeded => Token is not null;

    /// <summary>The URL posted to.</summary>
    public string Endpoint { get; }

    /// <summary>One of <see cref="RapidProbeErrorKinds"/> when it failed: ConnectionRefused, DnsFailure, Timeout… mean unreachable; HttpError and InvalidResponse mean it answered wrongly.</summary>
    public string? ErrorKind { get; }

    public string? Error { get; }

    /// <summary>The HTTP status, when the service answered with an error.</summary>
    public int? StatusCode { get; }

    public double LatencyMs { get; }

    /// <summary>True when the service did not answer at all (as opposed to answering with an error).</summary>
    public bool Unreachable => ErrorKind is not null and not RapidProbeErrorKinds.HttpError and not RapidProbeErrorKinds.InvalidResponse and not RapidProbeErrorKinds.Cancelled;
}

/// <summary>Test users from <c>POST {auth}/auth/test-user</c>, and mock tokens when no auth service can be used.</summary>
public static class TestTokenClient
{
    public const string TestUserPath = "/auth/test-user";

    /// <summary>test-&lt;8 hex&gt;@example.com, as the report's fixtures make them.</summary>
    public static string NewTestEmail() => "test-" + Hex8() + "@example.com";

    /// <summary>The test-user endpoint of an auth service base URL (a URL that already ends in /auth/test-user is kept).</summary>
    public static Uri EndpointFor(string authServiceUrl)
    {
        var text = (authServiceUrl ?? throw new ArgumentNullException(nameof(authServiceUrl))).Trim().TrimEnd('/');
        if (!text.EndsWith(TestUserPath, StringComparison.OrdinalIgnoreCase))
        {
            text += TestUserPath;
        }

        return new Uri(text, UriKind.Absolute);
    }

    /// <summary>
    /// Asks the auth service for a test user. Never throws for network or protocol failures: the outcome
    /// says what happened, within <paramref name="timeout"/> plus a fraction of a second.
    /// </summary>
    public static async Task<TestTokenOutcome> RequestAsync(string authServiceUrl, string? email, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var endpoint = EndpointFor(authServiceUrl);
        var stopwatch = Stopwatch.StartNew();
        using var http = ProbeHttp.CreateClient();
        try
        {
            var token = await Deadline.RunAsync(ct => PostAsync(http, endpoint, email ?? NewTestEmail(), ct), timeout, cancellationToken).ConfigureAwait(false);
            return new TestTokenOutcome(token, endpoint.ToString(), null, Ms(stopwatch));
        }
        catch (ProbeFailureException ex)
        {
            return new TestTokenOutcome(null, endpoint.ToString(), ex.Failure, Ms(stopwatch));
        }
        catch (TimeoutException)
        {
            return new TestTokenOutcome(null, endpoint.ToString(), ProbeErrors.Timeout(endpoint, timeout), Ms(stopwatch));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new TestTokenOutcome(null, endpoint.ToString(), ProbeErrors.Cancelled(), Ms(stopwatch));
        }
        catch (Exception ex)
        {
            return new TestTokenOutcome(null, endpoint.ToString(), ProbeErrors.Classify(ex, endpoint), Ms(stopwatch));
        }
    }

    /// <summary>A mock token (unsigned HS256 shape) for user test-user-&lt;8 hex&gt;; a mock that does not require auth honours its subject.</summary>
    public static RapidTestToken CreateMock(string? email, string authServiceUrl, string? fallbackReason, TimeSpan? lifetime = null)
    {
        var userId = "test-user-" + Hex8();
        var mail = string.IsNullOrEmpty(email) ? userId + "@example.com" : email!;
        var expires = DateTimeOffset.UtcNow + (lifetime ?? TimeSpan.FromHours(1));
        var token = Jwt.CreateUnverified(new TokenClaims(userId, mail, expires));
        return new RapidTestToken(userId, token, mail, expires.UtcDateTime, RapidTokenSources.Mock, authServiceUrl, fallbackReason);
    }

    /// <summary>POSTs {"email": …}; throws <see cref="ProbeFailureException"/> for an HTTP error or an answer without a token, else what HttpClient throws.</summary>
    internal static async Task<RapidTestToken> PostAsync(HttpClient http, Uri endpoint, string email, CancellationToken cancellationToken)
    {
        var body = "{\"email\":" + JsonSerializer.Serialize(email) + "}";
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(endpoint, content, cancellationToken).ConfigureAwait(false);
        var text = response.Content is null ? string.Empty : await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        var status = (int)response.StatusCode;
        if (status is < 200 or > 299)
        {
            throw new ProbeFailureException(new ProbeFailure(
                RapidProbeErrorKinds.HttpError,
                string.Format(CultureInfo.InvariantCulture, "POST {0} answered HTTP {1} {2}: {3}", endpoint, status, response.ReasonPhrase, status >= 500 ? "the auth service is failing; see its logs." : "check the auth service URL (it should serve POST /auth/test-user)."),
                status));
        }

        return ParseTokenResponse(text, email, endpoint);
    }

    internal static RapidTestToken ParseTokenResponse(string text, string requestedEmail, Uri endpoint)
    {
        ProbeFailureException Invalid(string what) => new(new ProbeFailure(
            RapidProbeErrorKinds.InvalidResponse,
            $"POST {endpoint} answered 200 but {what}: it does not look like an auth service with /auth/test-user (expected {{user_id, token, email, expires_at}}).",
            200));

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            throw Invalid("not with JSON");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Invalid("not with a JSON object");
            }

            var token = ReadString(root, "token") ?? ReadString(root, "access_token");
            if (string.IsNullOrEmpty(token))
            {
                throw Invalid("without a token");
            }

            var claims = default(TokenClaims);
            var readable = Jwt.TryReadUnverified(token!, out claims) is TokenCheck.Valid or TokenCheck.Expired;
            var userId = ReadString(root, "user_id") ?? (readable ? claims!.Subject : null);
            if (string.IsNullOrEmpty(userId))
            {
                throw Invalid("without a user_id");
            }

            var email = ReadString(root, "email") ?? requestedEmail;
            DateTime? expires = null;
            if (root.TryGetProperty("expires_at", out var exp))
            {
                if (exp.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(exp.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
                {
                    expires = parsed.UtcDateTime;
                }
                else if (exp.ValueKind == JsonValueKind.Number && exp.TryGetInt64(out var seconds))
                {
                    expires = DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime;
                }
            }

            if (expires is null && readable && claims!.ExpiresAt != DateTimeOffset.MaxValue)
            {
                expires = claims.ExpiresAt.UtcDateTime;
            }

            var baseUrl = endpoint.ToString();
            baseUrl = baseUrl.EndsWith(TestUserPath, StringComparison.OrdinalIgnoreCase) ? baseUrl.Substring(0, baseUrl.Length - TestUserPath.Length) : baseUrl;
            return new RapidTestToken(userId!, token!, email, expires, RapidTokenSources.Real, baseUrl);
        }
    }

    private static string? ReadString(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
    }

    private static string Hex8() => Guid.NewGuid().ToString("N").Substring(0, 8);

    private static double Ms(Stopwatch stopwatch) => Math.Round(stopwatch.Elapsed.TotalMilliseconds, 1);
}
