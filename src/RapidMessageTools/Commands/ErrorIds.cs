
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

    /// <summary>Export-RapidReport: comparison rows asked for in a format other than Markdown or JUnit, or mixed with results.</summary>
    public const string ReportComparisonFormat = nameof(ReportComparisonFormat);

    /// <summary>Export-RapidReport -Baseline with a format other than HTML (the baseline is drawn; Compare-RapidResult's rows report it in words).</summary>
    public const string ReportBaselineFormat = nameof(ReportBaselineFormat);

    /// <summary>Export-RapidReport -History: a trend is drawn as HTML only, from results (not comparison rows).</summary>
    public const string ReportTrendFormat = nameof(ReportTrendFormat);

    /// <summary>Export-RapidReport -History: the folder holds no result file, or none that could be read, and nothing was piped.</summary>
    public const string TrendNoRuns = nameof(TrendNoRuns);

    /// <summary>Export-RapidReport -History: no scenario has two comparable runs, so there is no trend to draw.</summary>
    public const string TrendNeedsTwoRuns = nameof(TrendNeedsTwoRuns);

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

    /// <summary>Import-RapidResult, -Baseline: the path names no file or folder (for -Baseline a missing file is NoBaseline, a warning).</summary>
    public const string ResultFileNotFound = nameof(ResultFileNotFound);

    /// <summary>A result file that is not JSON, is cut short, or has a part that does not read (a damaged histogram).</summary>
    public const string ResultFileCorrupt = nameof(ResultFileCorrupt);

    /// <summary>JSON that Export-RapidResult did not write: no SchemaVersion, or another Kind.</summary>
    public const string ResultFileForeign = nameof(ResultFileForeign);

    /// <summary>A result file written by a newer RapidMessageTools (a schema this version does not read).</summary>
    public const string ResultFileTooNew = nameof(ResultFileTooNew);

    /// <summary>Export-RapidResult: the file exists and -Force was not given.</summary>
    public const string ResultFileExists = nameof(ResultFileExists);
    public const string ResultFileUnwritable = nameof(ResultFileUnwritable);

    /// <summary>-Baseline holds runs of the scenario, but none with its load shape, profile or shard (the error names the difference).</summary>
    public const string BaselineNotComparable = nameof(BaselineNotComparable);

    /// <summary>Compare-RapidResult without -Baseline and without RAPID_TEST_BASELINE.</summary>
    public const string NoBaselineGiven = nameof(NoBaselineGiven);

    /// <summary>A -Tolerance key that names no metric, or a value out of range.</summary>
    public const string InvalidTolerance = nameof(InvalidTolerance);
}
