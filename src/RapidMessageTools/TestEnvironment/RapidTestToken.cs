using System;
using System.Globalization;
using RapidMessageTools.Protocol;

namespace RapidMessageTools.TestEnvironment;

/// <summary>The values of <see cref="RapidTestToken.Source"/>.</summary>
public static class RapidTokenSources
{
    /// <summary>Issued by the auth service (the mock's or a real one) through POST /auth/test-user.</summary>
    public const string Real = nameof(Real);

    /// <summary>Made locally, unsigned, because the auth service could not be used; only a backend that does not check signatures accepts it.</summary>
    public const string Mock = nameof(Mock);
}

/// <summary>A test user and its bearer token. <see cref="ToString"/> never shows the token.</summary>
public sealed class RapidTestToken
{
    public RapidTestToken(string userId, string token, string email, DateTime? expiresAt, string source, string authServiceUrl, string? fallbackReason = null)
    {
        UserId = userId;
        Token = token;
        Email = email;
        ExpiresAt = expiresAt?.ToUniversalTime();
        Source = source;
        AuthServiceUrl = authServiceUrl;
        FallbackReason = fallbackReason;
    }

    public string UserId { get; }

    /// <summary>The bearer token: send it as <c>Authorization: Bearer &lt;token&gt;</c> or <c>?token=</c>.</summary>
    public string Token { get; }

    public string Email { get; }

    /// <summary>When the token expires (UTC), when known.</summary>
    public DateTime? ExpiresAt { get; }

    /// <summary>True when <see cref="ExpiresAt"/> is known and past: a backend that checks exp refuses this token.</summary>
    public bool IsExpired => ExpiresAt is DateTime at && at <= DateTime.UtcNow;

    /// <summary>Real or Mock (<see cref="RapidTokenSources"/>).</summary>
    public string Source { get; }

    /// <summary>The auth service asked (for a Mock token: the one that could not be used).</summary>
    public string AuthServiceUrl { get; }

    /// <summary>For a Mock token: why the auth service was not used.</summary>
    public string? FallbackReason { get; }

    /// <summary>The first characters of the token and an ellipsis, safe for logs.</summary>
    public string TokenPreview => Preview(Token);

    /// <summary>The first 8 characters of <paramref name="token"/> and an ellipsis, safe for logs.</summary>
    public static string Preview(string? token) =>
        string.IsNullOrEmpty(token) ? string.Empty : token!.Length <= 8 ? new string('*', token.Length) : token.Substring(0, 8) + "\u2026";

    /// <summary>
    /// When <paramref name="token"/> is a JWT whose exp is past, says so (with the time); else null. Tokens
    /// that are not JWTs, or carry no exp, cannot be judged and pass.
    /// </summary>
    public static string? DescribeExpiry(string? token)
    {
        if (string.IsNullOrEmpty(token) || Jwt.TryReadUnverified(token!, out var claims) != TokenCheck.Expired || claims is null)
        {
            return null;
        }

        return string.Format(CultureInfo.InvariantCulture, "the token expired at {0:u} (it is now {1:u})", claims.ExpiresAt.UtcDateTime, DateTime.UtcNow);
    }

    public override string ToString() =>
        string.Format(CultureInfo.InvariantCulture, "{0} <{1}> ({2} token {3})", UserId, Email, Source, TokenPreview);
}
