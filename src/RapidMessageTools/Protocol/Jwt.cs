using System;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RapidMessageTools.Buffers;

namespace RapidMessageTools.Protocol;

/// <summary>The claims of a test token: who it is for and until when.</summary>
public sealed record TokenClaims(string Subject, string? Email, DateTimeOffset ExpiresAt);

/// <summary>Why a token was refused.</summary>
public enum TokenCheck
{
    Valid,
    Malformed,
    BadSignature,
    Expired,
    WrongAlgorithm,
}

/// <summary>HS256 JSON Web Tokens, as the mock's <c>/auth/test-user</c> issues and its <c>/ws</c> checks them.</summary>
public static class Jwt
{
    private static readonly DateTimeOffset Epoch = new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static string CreateHs256(byte[] secret, TokenClaims claims) =>
        Create("HS256", claims, header => Sign(secret, header));

    /// <summary>An unsigned-looking token with a valid shape, for mock mode when no auth service answers.</summary>
    public static string CreateUnverified(TokenClaims claims) =>
        Create("HS256", claims, _ => Base64Url(Encoding.UTF8.GetBytes("mock-signature")));

    /// <summary>Reads the claims without checking the signature (used only when auth is not required).</summary>
    public static TokenCheck TryReadUnverified(string token, out TokenClaims? claims) => Read(token, null, out claims);

    /// <summary>Checks the signature with <paramref name="secret"/>, the algorithm, and the expiry.</summary>
    public static TokenCheck Validate(string token, byte[] secret, out TokenClaims? claims) => Read(token, secret, out claims);

    private static string Create(string alg, TokenClaims claims, Func<string, string> sign)
    {
        var header = Base64Url(Encoding.UTF8.GetBytes("{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"}"));
        using var buffer = new PooledBufferWriter();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("sub", claims.Subject);
            if (claims.Email is not null)
            {
                w.WriteString("email", claims.Email);
            }

            w.WriteNumber("iat", (long)(DateTimeOffset.UtcNow - Epoch).TotalSeconds);
            w.WriteNumber("exp", (long)(claims.ExpiresAt - Epoch).TotalSeconds);
            w.WriteEndObject();
        }

        var signingInput = header + "." + Base64Url(buffer.WrittenSpan.ToArray());
        return signingInput + "." + sign(signingInput);
    }

    private static TokenCheck Read(string token, byte[]? secret, out TokenClaims? claims)
    {
        claims = null;
        var parts = token.Split('.');
        if (parts.Length != 3 || parts[0].Length == 0 || parts[1].Length == 0)
        {
            return TokenCheck.Malformed;
        }

        try
        {
            using (var header = JsonDocument.Parse(FromBase64Url(parts[0])))
            {
                if (!header.RootElement.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String || alg.GetString() != "HS256")
                {
                    return TokenCheck.WrongAlgorithm;
                }
            }

            if (secret is not null)
            {
                var expected = Encoding.ASCII.GetBytes(Sign(secret, parts[0] + "." + parts[1]));
                if (!FixedTimeEquals(expected, Encoding.ASCII.GetBytes(parts[2])))
                {
                    return TokenCheck.BadSignature;
                }
            }

            using var payload = JsonDocument.Parse(FromBase64Url(parts[1]));
            var root = payload.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("sub", out var sub) || sub.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(sub.GetString()))
            {
                return TokenCheck.Malformed;
            }

            var expires = DateTimeOffset.MaxValue;
            if (root.TryGetProperty("exp", out var exp))
            {
                if (exp.ValueKind != JsonValueKind.Number || !exp.TryGetInt64(out var expSeconds))
                {
                    return TokenCheck.Malformed;
                }

                expires = Epoch.AddSeconds(expSeconds);
            }

            string? email = root.TryGetProperty("email", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
            claims = new TokenClaims(sub.GetString()!, email, expires);
            return expires <= DateTimeOffset.UtcNow ? TokenCheck.Expired : TokenCheck.Valid;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException)
        {
            return TokenCheck.Malformed;
        }
    }

    private static string Sign(byte[] secret, string signingInput)
    {
        using var hmac = new HMACSHA256(secret);
        return Base64Url(hmac.ComputeHash(Encoding.ASCII.GetBytes(signingInput)));
    }

    private static bool FixedTimeEquals(byte[] a, byte[] b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        var diff = 0;
        for (var i = 0; i < a.Length; i++)
        {
            diff |= a[i] ^ b[i];
        }

        return diff == 0;
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        switch (s.Length % 4)
        {
            case 2:
                s += "==";
                break;
            case 3:
                s += "=";
                break;
            case 1:
                throw new FormatException("Not base64url.");
        }

        return Convert.FromBase64String(s);
    }
}
