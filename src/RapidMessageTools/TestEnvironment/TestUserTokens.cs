using System;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Logging;

namespace RapidMessageTools.TestEnvironment;

/// <summary>Identities for scenarios with several users when the caller gave one -Token.</summary>
public static class TestUserTokens
{
    /// <summary>
    /// A token per distinct user: the given token for the first, then a fresh test user from the auth service
    /// for each other one; the given token again (with a warning that isolation is then untested) when the
    /// service cannot give one.
    /// </summary>
    public static Func<string, CancellationToken, Task<string?>> PerUser(string token, string authServiceUrl, IRunLog log)
    {
        var identities = 0;
        return async (userId, cancellationToken) =>
        {
            if (Interlocked.Increment(ref identities) == 1)
            {
                return token;
            }

            var outcome = await TestTokenClient.RequestAsync(authServiceUrl, TestTokenClient.NewTestEmail(), TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            if (outcome.Token is null)
            {
                log.Warning($"Could not get a test user for {userId} from {outcome.Endpoint} ({outcome.Error}); it shares the -Token user, so user isolation is not tested.");
                return token;
            }

            return outcome.Token.Token;
        };
    }
}
