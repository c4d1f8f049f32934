using System;

namespace RapidMessageTools.Client;

/// <summary>A connection that could not be made, after every attempt; says which URL and what to do.</summary>
public sealed class RapidConnectionException : Exception
{
    public RapidConnectionException()
    {
    }

    public RapidConnectionException(string message)
        : base(message)
    {
    }

    public RapidConnectionException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public RapidConnectionException(string url, int attempts, ConnectFailure failure, int? statusCode, string message, Exception? inner)
        : base(message, inner)
    {
        Url = url;
        Attempts = attempts;
        Failure = failure;
        StatusCode = statusCode;
    }

    /// <summary>The URL tried, token redacted.</summary>
    public string Url { get; } = string.Empty;

    public int Attempts { get; }

    public ConnectFailure Failure { get; }

    /// <summary>The HTTP status of a refused upgrade, when known.</summary>
    public int? StatusCode { get; }
}
