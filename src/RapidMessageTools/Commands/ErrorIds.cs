namespace RapidMessageTools.Commands;

/// <summary>Stable FullyQualifiedErrorId prefixes, one per code path (STYLE.md 8).</summary>
internal static class ErrorIds
{
    public const string InvalidMockOption = nameof(InvalidMockOption);
    public const string MockPortUnavailable = nameof(MockPortUnavailable);
    public const string MockServerNotFound = nameof(MockServerNotFound);
    public const string MockStopFailed = nameof(MockStopFailed);
}
