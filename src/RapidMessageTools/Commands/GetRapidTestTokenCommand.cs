using System;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.TestEnvironment;

namespace RapidMessageTools.Commands;

/// <summary>Get-RapidTestToken: a test user and token from the auth service, or a mock token when it cannot be used.</summary>
[Cmdlet(VerbsCommon.Get, "RapidTestToken")]
[OutputType(typeof(RapidTestToken))]
public sealed class GetRapidTestTokenCommand : RapidAsyncCmdlet
{

    /// <summary>The auth service's base URL; defaults to $env:E2E_AUTH_SERVICE_URL, then a mock of this session.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("BaseUrl")]
    [ValidateNotNullOrEmpty]
    public string? AuthServiceUrl { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Email { get; set; }

    [Parameter]
    [ValidateRange(0.1, 600.0)]
    public double TimeoutSec { get; set; } = 5;

    [Parameter]
    public SwitchParameter NoFallback { get; set; }

    [Parameter]
    [ValidateSet(RapidTestModes.Mock, RapidTestModes.Real, IgnoreCase = true)]
    public string? Mode { get; set; }

    protected override void ProcessRecord()
    {
        var settings = SessionSettings.Resolve(
            this,
            new RapidSettingsInput { AuthServiceUrl = AuthServiceUrl, Mode = Mode },
            s => s.AuthServiceUrlSource == RapidSettingSources.Default);
        var url = settings.AuthServiceUrl;
        WriteVerbose($"Requesting a test user from {TestTokenClient.EndpointFor(url)} ({settings.AuthServiceUrlSource}, {settings.Mode} mode).");
        var outcome = WaitFor(
            TestTokenClient.RequestAsync(url, Email, TimeSpan.FromSeconds(TimeoutSec), Cancellation),
            "Get-RapidTestToken",
            waited => FormattableString.Invariant($"Waiting for {url} ({waited.TotalSeconds:0} s of at most {TimeoutSec:0.#} s)"));

        if (outcome.Token is RapidTestToken token)
        {
            WriteVerbose($"Test user {token.UserId} <{token.Email}>, token {token.TokenPreview}, expires {token.ExpiresAt:u} ({outcome.LatencyMs} ms).");
            if (token.IsExpired)
            {
                WriteWarning($"The token from {outcome.Endpoint} expired at {token.ExpiresAt:u} (it is now {DateTime.UtcNow:u}): a backend that checks exp will refuse it. Check the auth service's token lifetime and this machine's clock.");
            }

            WriteObject(token);
            return;
        }

        if (outcome.ErrorKind == RapidProbeErrorKinds.Cancelled)
        {
            return;
        }

        if (NoFallback)
        {
            ThrowTerminatingError(NoTokenError(outcome, url));
            return;
        }

        var mockToken = TestTokenClient.CreateMock(Email, url, outcome.Error);
        WriteWarning($"No token from {outcome.Endpoint} ({outcome.ErrorKind}): {outcome.Error} Using a mock token for {mockToken.UserId} instead, which only a backend that does not check signatures accepts (the mock without -RequireAuth); -NoFallback makes this an error.");
        WriteVerbose($"Mock token {mockToken.TokenPreview} for {mockToken.UserId}.");
        WriteObject(mockToken);
    }


    private static ErrorRecord NoTokenError(TestTokenOutcome outcome, string url)
    {
        var advice = "Start the auth service or fix the URL (-AuthServiceUrl or E2E_AUTH_SERVICE_URL); Start-RapidMockServer -SetEnvironment serves one; without -NoFallback a mock token is used.";
        var (id, category) = outcome.ErrorKind switch
        {
            RapidProbeErrorKinds.Timeout => (ErrorIds.AuthServiceTimeout, ErrorCategory.OperationTimeout),
            RapidProbeErrorKinds.HttpError => (ErrorIds.AuthServiceError, ErrorCategory.ResourceUnavailable),
            RapidProbeErrorKinds.InvalidResponse => (ErrorIds.AuthServiceInvalidResponse, ErrorCategory.InvalidResult),
            _ => (ErrorIds.AuthServiceUnreachable, ErrorCategory.ConnectionError),
        };
        var message = $"No test token from {outcome.Endpoint}: {outcome.Error} {advice}";
        return new ErrorRecord(new InvalidOperationException(message), id, category, url)
        {
            ErrorDetails = new ErrorDetails(message) { RecommendedAction = advice },
        };
    }
}
