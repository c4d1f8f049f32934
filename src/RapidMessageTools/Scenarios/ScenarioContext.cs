using System;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Client;
using RapidMessageTools.Metrics;

namespace RapidMessageTools.Scenarios;

/// <summary>Live figures the cmdlet reads for Write-Progress while a scenario runs.</summary>
public sealed class ScenarioProgress
{
    private long _sent;
    private long _answered;
    private string _phase = "starting";

    public long Sent => Interlocked.Read(ref _sent);

    public long Answered => Interlocked.Read(ref _answered);

    public string Phase
    {
        get => Volatile.Read(ref _phase);
        set => Volatile.Write(ref _phase, value);
    }

    internal void AddSent() => Interlocked.Increment(ref _sent);

    internal void AddAnswered() => Interlocked.Increment(ref _answered);
}

/// <summary>Everything a scenario needs from outside: where, who, how big, what limits, where to narrate.</summary>
public sealed class ScenarioContext
{
    public ScenarioContext(string url, string runId, RapidScenarioParameters parameters, RapidThresholds thresholds)
    {
        Url = url;
        RunId = runId;
        Parameters = parameters;
        Thresholds = thresholds;
    }

    public string Url { get; }

    /// <summary>A short prefix unique to this run; every user and message id starts with it.</summary>
    public string RunId { get; }

    /// <summary>Size parameters, defaults applied.</summary>
    public RapidScenarioParameters Parameters { get; }

    public RapidThresholds Thresholds { get; }

    /// <summary>When set, every connection presents this token (all connections are then one user).</summary>
    public string? Token { get; set; }

    public TokenTransport TokenTransport { get; set; } = TokenTransport.Header;

    /// <summary>Gives a token per distinct user, for scenarios with several users (MultiUser) when a token is in use; null → the single <see cref="Token"/>.</summary>
    public Func<string, CancellationToken, Task<string?>>? TokenForUser { get; set; }

    public int ConnectAttempts { get; set; } = 3;

    /// <summary>Against a real backend (real mode): failures advise about real services.</summary>
    public bool RealBackend { get; set; }

    public double BackoffSeconds { get; set; } = 0.5;

    public double ConnectTimeoutSec { get; set; } = 10;

    /// <summary>This run's part of a sharded load: 1-based index and count.</summary>
    public int ShardIndex { get; set; } = 1;

    public int ShardCount { get; set; } = 1;

    public IRunLog Log { get; set; } = NullRunLog.Instance;

    public FrameTraceWriter? Trace { get; set; }

    public ScenarioProgress Progress { get; } = new();

    /// <summary>Seconds to wait for replies before counting the rest lost.</summary>
    public TimeSpan ReplyTimeout => TimeSpan.FromSeconds(Parameters.TimeoutSec);

    /// <summary>Seconds to wait for one state query.</summary>
    public TimeSpan QueryTimeout => TimeSpan.FromSeconds(Math.Min(Parameters.TimeoutSec, 5));

    /// <summary>A user id unique to this run and shard.</summary>
    public string UserId(string key) => RunId + "-s" + ShardIndex.ToString(CultureInfo.InvariantCulture) + "-" + key;

    /// <summary>An agent id unique to this run, so its message_count starts at zero.</summary>
    public string AgentId(string key) => RunId + "-" + key;

    /// <summary>Opens a connection for the user <paramref name="userKey"/>.</summary>
    /// <remarks><paramref name="ownIdentity"/>: this user must be told apart from the run's other users even when a token is in use.</remarks>
    public async Task<RapidConnection> ConnectAsync(string userKey, CancellationToken cancellationToken, bool ownIdentity = false)
    {
        var token = Token;
        if (ownIdentity && TokenForUser is not null)
        {
            token = await TokenForUser(UserId(userKey), cancellationToken).ConfigureAwait(false) ?? token;
        }

        var options = new ConnectionOptions(Url)
        {
            Token = token,
            TokenTransport = TokenTransport,
            UserId = token is null ? UserId(userKey) : null,
            ConnectAttempts = ConnectAttempts,
            BackoffSeconds = BackoffSeconds,
            ConnectTimeoutSec = ConnectTimeoutSec,
            Trace = Trace,
            RealBackend = RealBackend,
        };
        return await RapidConnection.ConnectAsync(options, Log, cancellationToken).ConfigureAwait(false);
    }
}
