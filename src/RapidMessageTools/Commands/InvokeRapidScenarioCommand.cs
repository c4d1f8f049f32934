using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Baselines;
using RapidMessageTools.Client;
using RapidMessageTools.Load;
using RapidMessageTools.MockServer;
using RapidMessageTools.Reporting;
using RapidMessageTools.Results;
using RapidMessageTools.Scenarios;
using RapidMessageTools.TestEnvironment;

namespace RapidMessageTools.Commands;

/// <summary>Invoke-RapidScenario: runs scenarios against a WebSocket backend and returns one result each.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "RapidScenario")]
[OutputType(typeof(RapidScenarioResult))]
public sealed class InvokeRapidScenarioCommand : RapidAsyncCmdlet
{
    private FrameTraceWriter? _trace;
    private RapidThresholds? _thresholds;
    private RapidMessageTools.Protocol.Profiles.ProtocolProfile? _profile;
    private RapidSettings? _settings;
    private ShardSpec _shard = ShardSpec.Whole;
    private string _runId = string.Empty;
    private RapidLoadStage[] _stages = [];
    private RapidResultSet? _baseline;
    private RapidTolerances _tolerances = RapidTolerances.Defaults();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ScenarioNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <summary>The WebSocket URL; defaults to $env:E2E_WEBSOCKET_URL, else the mock running in this session.</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string? Url { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Token { get; set; }

    [Parameter]
    public TokenTransport TokenTransport { get; set; } = TokenTransport.Header;

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MessageCount { get; set; }

    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int Connections { get; set; }

    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int Users { get; set; }

    /// <summary>MultiUser: seconds between one user's messages (the mean with -Arrival Poisson); the run's rate becomes users / think time.</summary>
    [Parameter]
    [ValidateRange(0.001, 86_400.0)]
    public double ThinkTime { get; set; }

    /// <summary>MultiUser: users connected per second; each starts sending once connected and, with -Duration, stays that long.</summary>
    [Parameter]
    [ValidateRange(0.001, 1_000_000.0)]
    public double ConnectRate { get; set; }

    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int BurstSize { get; set; }

    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int Bursts { get; set; }

    [Parameter]
    [ValidateRange(1, 1000)]
    public int Agents { get; set; }

    /// <summary>Fixed arrival rate, messages per second (latency then counts from the intended send time).</summary>
    [Parameter]
    [ValidateRange(0.0, 10_000_000.0)]
    public double Rate { get; set; }

    /// <summary>Seconds to send at -Rate (sets the message count to Rate × Duration).</summary>
    [Parameter]
    [ValidateRange(0.001, 86_400.0)]
    public double Duration { get; set; }

    /// <summary>Seconds to wait for replies before counting the rest lost.</summary>
    [Parameter]
    [ValidateRange(0.1, 3600.0)]
    public double TimeoutSec { get; set; }

    /// <summary>Load stages: @{ Duration = 30; Rate = 500 }, @{ Duration = 60; RampTo = 5000 } (the whole load's msg/s).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public Hashtable[]? Stage { get; set; }

    /// <summary>Spacing of sends at an arrival rate: Constant (even) or Poisson (exponential gaps).</summary>
    [Parameter]
    public RapidArrival Arrival { get; set; }

    /// <summary>Seed of the Poisson gaps; the same seed sends at the same times. Default: a fresh one, recorded in the result.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Seed { get; set; }

    /// <summary>Seconds per timeline entry (default 1); 0 records no timeline.</summary>
    [Parameter]
    [ValidateRange(0.0, 3600.0)]
    public double TimelineInterval { get; set; } = 1;

    /// <summary>Back-to-back sends keep at most this many messages unanswered per connection; 1 is strict request/response. Default: half the agent's queue capacity.</summary>
    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int MaxInFlight { get; set; }

    /// <summary>Seconds the latency at -LatencyPercentile may reach.</summary>
    [Parameter]
    [ValidateRange(0.000001, 3600.0)]
    public double MaxLatency { get; set; }

    [Parameter]
    [ValidateSet("50", "90", "99", "99.9", "100")]
    public string? LatencyPercentile { get; set; }

    [Parameter]
    [ValidateRange(0.0, double.MaxValue)]
    public double MinThroughput { get; set; }

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double MinDeliveryRatio { get; set; }

    [Parameter]
    [ValidateRange(0.0, double.MaxValue)]
    public double MaxMemoryGrowth { get; set; }

    /// <summary>Streamed replies: seconds the time to the first chunk may reach at -LatencyPercentile.</summary>
    [Parameter]
    [ValidateRange(0.000001, 3600.0)]
    public double MaxFirstChunkLatency { get; set; }

    /// <summary>Streamed replies: seconds the longest gap between two chunks of one reply may reach.</summary>
    [Parameter]
    [ValidateRange(0.000001, 3600.0)]
    public double MaxChunkGap { get; set; }

    /// <summary>Thresholds as a hashtable: @{ MaxLatency = 0.5; MinThroughput = 1000 }.</summary>
    [Parameter]
    public Hashtable? Threshold { get; set; }

    /// <summary>How the backend speaks: a built-in name, a profile's path, or a hashtable (RAPID_TEST_PROTOCOL when absent).</summary>
    [Parameter]
    public object? Protocol { get; set; }

    /// <summary>Results to compare with (a file or folder Export-RapidResult wrote, or results); a regression becomes a Regression violation. RAPID_TEST_BASELINE when absent.</summary>
    [Parameter]
    [ValidateNotNull]
    public object? Baseline { get; set; }

    /// <summary>How much worse each metric may get than the baseline: @{ LatencyP99 = 0.2; Throughput = 0.1 }.</summary>
    [Parameter]
    public Hashtable? Tolerance { get; set; }

    /// <summary>"i/n": run part i of n of the load (ids and users never collide across shards).</summary>
    [Parameter]
    [ValidatePattern(@"^\d+/\d+$")]
    public string? Shard { get; set; }

    [Parameter]
    [ValidateRange(1, 100)]
    public int ConnectAttempts { get; set; } = 3;

    /// <summary>Writes every frame sent and received to this file, tokens redacted.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TraceFile { get; set; }

    /// <summary>A failed scenario is also a terminating error (category InvalidResult), after its result is written.</summary>
    [Parameter]
    public SwitchParameter ErrorOnFailure { get; set; }

    /// <summary>No ##vso logging commands in Azure Pipelines.</summary>
    [Parameter]
    public SwitchParameter NoPipelineLogging { get; set; }

    protected override void BeginProcessing()
    {
        _settings = SessionSettings.Resolve(this, new RapidSettingsInput { WebSocketUrl = Url }, s => !s.IsWebSocketUrlConfigured, nameof(Url));
        if (_settings.IsMock && !_settings.IsWebSocketUrlConfigured)
        {
            ThrowTerminatingError(new ErrorRecord(
                new ArgumentException("No backend URL: pass -Url, set E2E_WEBSOCKET_URL, or start the mock with Start-RapidMockServer (-SetEnvironment). For a real backend at the default ws://localhost:8000/ws, set RAPID_MESSAGE_TEST_MODE=real."),
                ErrorIds.NoBackendUrl,
                ErrorCategory.InvalidArgument,
                null));
        }

        if (RapidTestToken.DescribeExpiry(Token) is string expired)
        {
            ThrowTerminatingError(new ErrorRecord(
                new ArgumentException($"-Token cannot be used: {expired}. Fetch a fresh one with Get-RapidTestToken (and check the auth service's token lifetime and this machine's clock)."),
                ErrorIds.TokenExpired,
                ErrorCategory.AuthenticationError,
                RapidTestToken.Preview(Token)));
        }

        _thresholds = ThresholdBinding.Resolve(this, Threshold);
        _tolerances = BaselineBinding.Tolerances(this, Tolerance);
        _baseline = BaselineBinding.Load(this, Baseline);
        _profile = ProtocolArgument.Resolve(this, Protocol, _settings.WebSocketUrl);
        _shard = ParseShard();
        _runId = "r" + Guid.NewGuid().ToString("N").Substring(0, 8);
        _trace = TraceFiles.Open(this, TraceFile);
        _stages = ParseStages();
    }

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            if (!ScenarioRegistry.TryGet(name, out var scenario))
            {
                WriteError(new ErrorRecord(
                    new ItemNotFoundException($"There is no scenario named '{name}'. Get-RapidScenario lists them: {string.Join(", ", ScenarioRegistry.Names)}."),
                    ErrorIds.ScenarioNotFound,
                    ErrorCategory.ObjectNotFound,
                    name));
                continue;
            }

            Run(scenario);
        }
    }

    protected override void DisposeResources()
    {
        _trace?.Dispose();
        _trace = null;
    }

    private void Run(IRapidScenario scenario)
    {
        var given = new RapidScenarioParameters
        {
            MessageCount = MessageCount,
            Connections = Connections,
            Users = Users,
            BurstSize = BurstSize,
            Bursts = Bursts,
            Agents = Agents,
            Rate = Rate,
            Duration = Duration,
            TimeoutSec = TimeoutSec,
            MaxInFlight = MaxInFlight,
            Stages = _stages,
            Arrival = Arrival,
            Seed = Seed,
            ThinkTime = ThinkTime,
            ConnectRate = ConnectRate,
        };
        RapidScenarioParameters parameters;
        try
        {
            parameters = ScenarioRunner.ResolveParameters(scenario, given);
        }
        catch (ArgumentException bad)
        {
            ThrowTerminatingError(new ErrorRecord(bad, ErrorIds.InvalidScenarioParameter, ErrorCategory.InvalidArgument, scenario.Name));
            return;
        }

        var context = new ScenarioContext(_settings!.WebSocketUrl, _runId, parameters, _thresholds!)
        {
            Token = Token,
            TokenTransport = TokenTransport,
            ConnectAttempts = ConnectAttempts,
            RealBackend = !_settings.IsMock,
            ServerInProcess = MockServerRegistry.All().Any(m => string.Equals(m.Server.Url, _settings.WebSocketUrl, StringComparison.OrdinalIgnoreCase)),
            ShardIndex = _shard.Index,
            ShardCount = _shard.Count,
            Log = Log,
            Trace = _trace,
            TokenForUser = Token is null ? null : TestUserTokens.PerUser(Token, _settings.AuthServiceUrl, Log),
            TimelineInterval = TimelineInterval,
            Profile = _profile!,
        };
        WriteVerbose($"{scenario.Name}: {scenario.Description} Against {ConnectionOptions.Redact(context.Url)}, run id {_runId}.");
        var task = Task.Run(() => ScenarioRunner.RunAsync(scenario, context, Cancellation));
        var result = Wait(task, scenario, context);
        if (result is null)
        {
            return;
        }

        BaselineBinding.Judge(this, _baseline, _tolerances, result);
        WriteObject(result);
        if (!result.Passed)
        {
            LogToAzurePipelines(result);
            if (ErrorOnFailure)
            {
                ThrowTerminatingError(new ErrorRecord(
                    new InvalidOperationException($"Scenario {result.Scenario} ended {result.Outcome}: {string.Join("; ", result.Violations.Select(v => v.ToString()))}"),
                    ErrorIds.ScenarioNotPassed,
                    ErrorCategory.InvalidResult,
                    result));
            }
        }
    }

    /// <summary>Ctrl+C: the pipeline is stopping, so the partial result goes to $RapidInterruptedResult with a line on the host.</summary>
    protected override void OnInterrupted(object? partialResult)
    {
        if (partialResult is not RapidScenarioResult result)
        {
            return;
        }

        result.Settings = _settings;
        SessionState.PSVariable.Set(new PSVariable(InterruptedResultVariable, result, ScopedItemOptions.None));
        Host.UI.WriteLine(FormattableString.Invariant(
            $"Interrupted: {result.Scenario} after {result.Duration:0.0} s, {result.Delivered}/{result.Distinct} delivered, p99 {result.Latency.P99} ms. The partial result is in ${InterruptedResultVariable}."));
    }

    /// <summary>Where a run stopped with Ctrl+C leaves its partial result (Outcome Interrupted).</summary>
    public const string InterruptedResultVariable = "RapidInterruptedResult";

    /// <summary>The progress line: phase, sent and answered, current msg/s and p99 of the last interval, rejections and errors so far.</summary>
    private static string LiveStatus(ScenarioProgress p, TimeSpan waited)
    {
        var last = p.LastInterval;
        var live = last is null ? string.Empty : FormattableString.Invariant($", now {last.DeliveredRate:0} msg/s, p99 {last.P99} ms");
        return FormattableString.Invariant($"{p.Phase}: {p.Sent} sent, {p.Answered} answered{live}, {p.Rejected} rejected, {p.Errors} errors, {waited.TotalSeconds:0.0} s");
    }

    /// <summary>Percent done, and time left for a load given by time (-Duration, -Stage).</summary>
    private static void LiveProgress(ScenarioProgress p, ProgressRecord record)
    {
        record.PercentComplete = p.PercentComplete;
        record.SecondsRemaining = p.SecondsRemaining;
    }

    /// <summary>Queued narration, then one verbose line per finished timeline interval.</summary>
    private void DrainLiveView(ScenarioProgress p)
    {
        DrainLog();
        while (p.TakeFinishedInterval() is { } entry)
        {
            WriteVerbose(ScenarioProgress.Describe(entry));
        }
    }

    /// <summary>Waits for the scenario with progress and narration; maps what keeps it from running to a terminating error.</summary>
    private RapidScenarioResult? Wait(Task<RapidScenarioResult> task, IRapidScenario scenario, ScenarioContext context)
    {
        RapidScenarioResult result;
        try
        {
            result = WaitFor(
                task,
                "Invoke-RapidScenario: " + scenario.Name,
                waited => LiveStatus(context.Progress, waited),
                () => DrainLiveView(context.Progress),
                activityId: 2,
                refine: record => LiveProgress(context.Progress, record));
        }
        catch (RapidConnectionException connect)
        {
            var auth = connect.Failure == ConnectFailure.AuthRequired;
            ThrowTerminatingError(new ErrorRecord(
                connect,
                auth ? ErrorIds.ScenarioAuthRefused : ErrorIds.ScenarioConnectFailed,
                auth ? ErrorCategory.PermissionDenied : ErrorCategory.ConnectionError,
                connect.Url));
            return null;
        }
        catch (ArgumentException bad)
        {
            ThrowTerminatingError(new ErrorRecord(bad, ErrorIds.InvalidScenarioParameter, ErrorCategory.InvalidArgument, scenario.Name));
            return null;
        }
        catch (ConnectionLimitException limit)
        {
            ThrowTerminatingError(new ErrorRecord(limit, ErrorIds.ConnectionLimit, ErrorCategory.LimitsExceeded, scenario.Name));
            return null;
        }
        catch (Exception error) when (error is not PipelineStoppedException)
        {
            ThrowTerminatingError(new ErrorRecord(error, ErrorIds.ScenarioCrashed, error is OperationCanceledException ? ErrorCategory.OperationStopped : ErrorCategory.NotSpecified, scenario.Name));
            return null;
        }

        result.Settings = _settings;
        return result;
    }

    private void LogToAzurePipelines(RapidScenarioResult result)
    {
        if (NoPipelineLogging || string.IsNullOrEmpty(System.Environment.GetEnvironmentVariable("TF_BUILD")))
        {
            return;
        }

        foreach (var v in result.Violations)
        {
            Host.UI.WriteLine(AzurePipelinesLog.LogIssue(FrameTraceWriter.Redact(result.Scenario + ": " + v)));
        }
    }

    /// <summary>-Stage tables as stages; a bad table is a terminating error that names the stage and key.</summary>
    private RapidLoadStage[] ParseStages()
    {
        if (Stage is null)
        {
            return [];
        }

        try
        {
            var tables = Stage.Select(t => (IDictionary?)t?.Cast<DictionaryEntry>().ToDictionary(e => e.Key, e => e.Value is PSObject o ? o.BaseObject : e.Value)).ToArray();
            return RapidLoadStage.Parse(tables);
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, ErrorIds.InvalidStage, ErrorCategory.InvalidArgument, Stage));
            return [];
        }
    }

    private ShardSpec ParseShard()
    {
        try
        {
            return ShardSpec.Parse(Shard);
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, ErrorIds.InvalidScenarioParameter, ErrorCategory.InvalidArgument, Shard));
            throw;
        }
    }
}
