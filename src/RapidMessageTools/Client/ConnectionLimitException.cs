using System;

namespace RapidMessageTools.Client;

/// <summary>A run would open more connections than this process may (its file descriptor limit): nothing was opened.</summary>
public sealed class ConnectionLimitException : InvalidOperationException
{
    public ConnectionLimitException(string message)
        : base(message)
    {
    }

    public ConnectionLimitException()
    {
    }

    public ConnectionLimitException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
