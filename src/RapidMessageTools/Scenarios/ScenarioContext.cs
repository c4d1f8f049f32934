using System;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Client;
using RapidMessageTools.Logging;
using RapidMessageTools.Metrics;
using RapidMessageTools.Protocol.Profiles;
using RapidMessageTools.Results;

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

    // The live view: rejections and errors so far, how far the load is, the last finished interval.
    private long _rejected;
    private long _errors;
    private long _expected;
    private DateTime _lastTaken;

    /// <summary>Messages refused so far.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Error frames other than queue_full, and connections that ended unexpectedly, so far.</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Messages this run will send when known by count (0: unknown, or a load given by time).</summary>
    public long ExpectedMessages
    {
        get => Interlocked.Read(ref _expected);
        internal set => Interlocked.Exchange(ref _expected, value);
    }

    /// <summary>For a load given by time (-Duration, -Stage): its seconds, and when it started (Stopwatch; 0 before).</summary>
    internal double LoadSeconds { get; set; }

    internal Func<long>? LoadStart { get; set; }

    internal RunTimeline? Timeline { get; set; }

    internal void AddRejected() => Interlocked.Increment(ref _rejected);

    internal void AddError() => Interlocked.Increment(ref _errors);

    /// <summary>Percent of the load done: by time for -Duration and stages, by messages sent for a count; -1 when unknown.</summary>
    public int PercentComplete
    {
        get
        {
            if (LoadSeconds > 0)
            {
                var start = LoadStart?.Invoke() ?? 0;
                return start == 0 ? 0 : (int)Math.Min(100, 100 * ElapsedSince(start) / LoadSeconds);
            }

            var expected = ExpectedMessages;
            return expected > 0 ? (int)Math.Min(100, 100 * Sent / expected) : -1;
        }
    }

    /// <summary>Seconds of sending left for a load given by time; -1 otherwise.</summary>
    public int SecondsRemaining
    {
        get
        {
            var start = LoadStart?.Invoke() ?? 0;
            return LoadSeconds > 0 && start != 0 ? (int)Math.Max(0, Math.Ceiling(LoadSeconds - ElapsedSince(start))) : -1;
        }
    }

    /// <summary>The last finished interval of the timeline (its rates and p99); null before one finished or without a timeline.</summary>
    public RapidTimelineEntry? LastInterval => Timeline?.LastFinished(System.Diagnostics.Stopwatch.GetTimestamp());

    /// <summary>Each finished interval once, in order of time (one verbose line each); null when none is new.</summary>
    public RapidTimelineEntry? TakeFinishedInterval()
    {
        var last = LastInterval;
        lock (this)
        {
            if (last is null || last.Start <= _lastTaken)
            {
                return null;
            }

            _lastTaken = last.Start;
            return last;
        }
    }

    /// <summary>One line for an interval: "+3 s (stage 2): sent 500/s (intended 500/s, 0 late), delivered 498/s, p99 12.3 ms, ...".</summary>
    public static string Describe(RapidTimelineEntry entry)
    {
        if (entry is null)
        {
            return string.Empty;
        }

        return string.Format(
            CultureInfo.InvariantCulture,
            "+{0:0.##} s{1}: sent {2:0}/s (intended {3:0}/s, {4} late), delivered {5:0}/s, p50 {6} ms, p99 {7} ms, {8} rejected, {9} lost, {10} errors, {11} connections",
            entry.Elapsed,
            entry.Stage > 0 ? " (stage " + entry.Stage.ToString(CultureInfo.InvariantCulture) + ")" : string.Empty,
            entry.SendRate,
            entry.IntendedRate,
            entry.LateSends,
            entry.DeliveredRate,
            entry.P50,
            entry.P99,
            entry.Rejected,
            entry.Lost,
            entry.Errors,
            entry.Connections);
    }

    private static double ElapsedSince(long start) =>
        (System.Diagnostics.Stopwatch.GetTimestamp() - start) / (double)System.Diagnostics.Stopwatch.Frequency;
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

    /// <summary>The server's end of each connection is in this process too (a mock started in this session): each connection then takes two file descriptors.</summary>
    public bool ServerInProcess { get; set; }

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

    /// <summary>Seconds per timeline interval; 0 records no timeline.</summary>
    public double TimelineInterval { get; set; } = 1;

    /// <summary>Seconds to wait for replies before counting the rest lost.</summary>
    public TimeSpan ReplyTimeout => TimeSpan.FromSeconds(Parameters.TimeoutSec);

    /// <summary>Seconds to wait for one state query.</summary>
    public TimeSpan QueryTimeout => TimeSpan.FromSeconds(Math.Min(Parameters.TimeoutSec, 5));

    /// <summary>How the backend speaks (the built-in protocol unless a profile was given).</summary>
    public ProtocolProfile Profile { get; set; } = ProtocolProfile.Rapid;

    /// <summary>What the run's frames showed about the profile: unmapped events, mismatched paths.</summary>
    public ProtocolObservations Observations { get; } = new();

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
            Profile = Profile,
            Observations = Observations,
        };
        return await RapidConnection.ConnectAsync(options, Log, cancellationToken).ConfigureAwait(false);
    }
}
