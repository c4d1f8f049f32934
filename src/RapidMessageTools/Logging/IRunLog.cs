namespace RapidMessageTools.Logging;

/// <summary>
/// Where the core narrates (verbose) and warns. The cmdlet implements it by queueing, and writes on
/// the pipeline thread (docs/ARCHITECTURE.md); the core never sees PowerShell.
/// </summary>
public interface IRunLog
{
    void Verbose(string message);

    void Warning(string message);
}

/// <summary>A log that discards everything.</summary>
public sealed class NullRunLog : IRunLog
{
    public static readonly NullRunLog Instance = new();

    public void Verbose(string message)
    {
    }

    public void Warning(string message)
    {
    }
}
