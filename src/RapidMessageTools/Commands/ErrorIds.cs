
namespace RapidMessageTools.Commands;

/// <summary>Stable FullyQualifiedErrorId prefixes, one per code path (docs/ARCHITECTURE.md, "Errors").</summary>
internal static class ErrorIds
{
    public const string InvalidMockOption = nameof(InvalidMockOption);

    /// <summary>-Protocol (or RAPID_TEST_PROTOCOL): the profile has a mistake; the error names its key.</summary>
    public const string ProtocolProfileInvalid = nameof(ProtocolProfileInvalid);

    /// <summary>-Protocol names neither a built-in profile nor a file that exists.</summary>
    public const string ProtocolProfileNotFound = nameof(ProtocolProfileNotFound);

    /// <summary>A scenario needs a message the profile lists in Unsupported.</summary>
    public const string ProtocolUnsupported = nameof(ProtocolUnsupported);
    public const string MockPortUnavailable = nameof(MockPortUnavailable);
    public const string MockServerNotFound = nameof(MockServerNotFound);
    public const string ScenarioNotFound = nameof(ScenarioNotFound);
    public const string InvalidScenarioParameter = nameof(InvalidScenarioParameter);

    /// <summary>A -Stage table lacks a key, has an unknown one, or a value that is not a number.</summary>
    public const string InvalidStage = nameof(InvalidStage);

    /// <summary>Find-RapidCapacity: a search setting out of range (-StartRate above -MaxRate...).</summary>
    public const string InvalidCapacitySearch = nameof(InvalidCapacitySearch);
    public const string NoBackendUrl = nameof(NoBackendUrl);

    /// <summary>Invoke-RapidScenario: the -Token is a JWT whose exp is past.</summary>
    public const string TokenExpired = nameof(TokenExpired);
    public const string ScenarioConnectFailed = nameof(ScenarioConnectFailed);
    public const string ScenarioAuthRefused = nameof(ScenarioAuthRefused);

    /// <summary>Invoke-RapidScenario: the run would open more connections than the process's file limit allows (nothing was opened).</summary>
    public const string ConnectionLimit = nameof(ConnectionLimit);

    /// <summary>-ErrorOnFailure: the run ended Failed, Inconclusive or Interrupted (the result was written first).</summary>
    public const string ScenarioNotPassed = nameof(ScenarioNotPassed);

    /// <summary>The scenario stopped on an error that is not a finding about the backend (a bug or an unexpected fault of the client).</summary>
    public const string ScenarioCrashed = nameof(ScenarioCrashed);
    public const string TraceFileUnwritable = nameof(TraceFileUnwritable);
    public const string NotAScenarioResult = nameof(NotAScenarioResult);

    /// <summary>A scenario result whose histograms, counts or shard cannot be read (e.g. nested objects that arrived as text).</summary>
    public const string UnreadableScenarioResult = nameof(UnreadableScenarioResult);
    public const string ReportExists = nameof(ReportExists);

    /// <summary>Export-RapidReport: the -Path extension names no format and -Format was not given.</summary>
    public const string ReportFormatUnknown = nameof(ReportFormatUnknown);
    public const string ReportUnwritable = nameof(ReportUnwritable);

    /// <summary>An explicit setting (a URL, the mode, a threshold) is not valid.</summary>
    public const string InvalidSettingValue = nameof(InvalidSettingValue);

    /// <summary>Get-RapidTestToken -NoFallback: the auth service did not answer (refused, DNS, TLS, reset).</summary>
    public const string AuthServiceUnreachable = nameof(AuthServiceUnreachable);

    /// <summary>Get-RapidTestToken -NoFallback: the auth service did not answer within -TimeoutSec.</summary>
    public const string AuthServiceTimeout = nameof(AuthServiceTimeout);

    /// <summary>Get-RapidTestToken -NoFallback: the auth service answered with an HTTP error status (e.g. 500).</summary>
    public const string AuthServiceError = nameof(AuthServiceError);

    /// <summary>Get-RapidTestToken -NoFallback: the auth service answered 200 without a usable token.</summary>
    public const string AuthServiceInvalidResponse = nameof(AuthServiceInvalidResponse);
}
