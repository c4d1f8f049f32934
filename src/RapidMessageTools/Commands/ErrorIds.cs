namespace RapidMessageTools.Commands;

/// <summary>Stable FullyQualifiedErrorId prefixes, one per code path (STYLE.md 8).</summary>
internal static class ErrorIds
{
    public const string InvalidMockOption = nameof(InvalidMockOption);
    public const string MockPortUnavailable = nameof(MockPortUnavailable);
    public const string MockServerNotFound = nameof(MockServerNotFound);
    public const string MockStopFailed = nameof(MockStopFailed);
    public const string ScenarioNotFound = nameof(ScenarioNotFound);
    public const string InvalidScenarioParameter = nameof(InvalidScenarioParameter);
    public const string NoBackendUrl = nameof(NoBackendUrl);
    public const string ScenarioConnectFailed = nameof(ScenarioConnectFailed);
    public const string ScenarioAuthRefused = nameof(ScenarioAuthRefused);
    public const string ScenarioFailed = nameof(ScenarioFailed);
    public const string TraceFileUnwritable = nameof(TraceFileUnwritable);
    public const string NotAScenarioResult = nameof(NotAScenarioResult);
}
