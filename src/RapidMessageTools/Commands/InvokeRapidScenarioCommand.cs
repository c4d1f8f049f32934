using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Client;
using RapidMessageTools.Metrics;
using RapidMessageTools.Reporting;
using RapidMessageTools.Scenarios;
using RapidMessageTools.TestEnvironment;

namespace RapidMessageTools.Commands;

/// <summary>Invoke-RapidScenario: runs scenarios against a WebSocket backend and returns one result each.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "RapidScenario")]
[OutputType(typeof(RapidScenarioResult))]
public sealed class InvokeRapidScenarioCommand : RapidAsyncCmdlet
{
    private readonly CommandLog _log = new();
    private FrameTraceWriter? _trace;
    private RapidThresholds? _thresholds;
    private RapidSettings? _settings;
    private string _url = string.Empty;
    private int _shardIndex = 1;
    private int _shardCount = 1;
    private string _runId = string.Empty;
    private int _identities;
    private RapidLoadStage[] _stages = [];

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
    [ValidateRange(1, 10_000)]
    public int Connections { get; set; }

    [Parameter]
    [ValidateRange(1, 10_000)]
    public int Users { get; set; }

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
    [ValidateRange(0.0, 86_400.0)]
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

    /// <summary>Thresholds as a hashtable: @{ MaxLatency = 0.5; MinThroughput = 1000 }.</summary>
    [Parameter]
    public Hashtable? Threshold { get; set; }

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
        _settings = SessionSettings.Resolve(
            this,
            new RapidSettingsInput
            {
                WebSocketUrl = Url,
                MaxLatencySec = Bound(nameof(MaxLatency)) ? MaxLatency : null,
                MinThroughputPerSec = Bound(nameof(MinThroughput)) ? MinThroughput : null,
                MinDeliveryRatio = Bound(nameof(MinDeliveryRatio)) ? MinDeliveryRatio : null,
                MaxMemoryGrowthBytes = Bound(nameof(MaxMemoryGrowth)) ? MaxMemoryGrowth : null,
            },
            s => !s.IsWebSocketUrlConfigured);
        if (_settings.IsMock && !_settings.IsWebSocketUrlConfigured)
        {
            ThrowTerminatingError(new ErrorRecord(
                new ArgumentException("No backend URL: pass -Url, set E2E_WEBSOCKET_URL, or start the mock with Start-RapidMockServer (-SetEnvironment). For a real backend at the default ws://localhost:8000/ws, set RAPID_MESSAGE_TEST_MODE=real."),
                ErrorIds.NoBackendUrl,
                ErrorCategory.InvalidArgument,
                null));
        }

        _url = _settings.WebSocketUrl;
        _thresholds = ResolveThresholds(_settings);
        ParseShard();
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

    protected override void EndProcessing() => DrainLog();

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
        };
        var parameters = ScenarioRunner.ResolveParameters(scenario, given);
        var context = new ScenarioContext(_url, _runId, parameters, _thresholds!)
        {
            Token = Token,
            TokenTransport = TokenTransport,
            ConnectAttempts = ConnectAttempts,
            ShardIndex = _shardIndex,
            ShardCount = _shardCount,
            Log = _log,
            Trace = _trace,
            TokenForUser = Token is null ? null : TokenPerUser,
            TimelineInterval = TimelineInterval,
        };
        _identities = 0;
        WriteVerbose($"{scenario.Name}: {scenario.Description} Against {ConnectionOptions.Redact(_url)}, run id {_runId}.");
        var throughputExplicit = (Threshold?.ContainsKey("MinThroughput") ?? false) || _settings!.MinThroughputPerSec is not null;
        var latencyExplicit = (Threshold?.ContainsKey("MaxLatency") ?? false) || _settings!.MaxLatencySec is not null;
        var task = Task.Run(() => ScenarioRunner.RunAsync(scenario, context, throughputExplicit, latencyExplicit, Cancellation));
        var result = Wait(task, scenario, context);
        if (result is null)
        {
            return;
        }

        if (result.OverflowProvoked == false)
        {
            WriteWarning($"{scenario.Name} never saw queue_full: backpressure was not exercised (OverflowProvoked = False). Raise -MessageCount or test against a slower agent.");
        }

        WriteObject(result);
        if (!result.Passed)
        {
            LogToAzurePipelines(result);
            if (ErrorOnFailure)
            {
                ThrowTerminatingError(new ErrorRecord(
                    new InvalidOperationException($"Scenario {result.Scenario} failed: {string.Join("; ", result.Violations.Select(v => v.ToString()))}"),
                    ErrorIds.ScenarioFailed,
                    ErrorCategory.InvalidResult,
                    result));
            }
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
                waited => FormattableString.Invariant($"{context.Progress.Phase}: {context.Progress.Sent} sent, {context.Progress.Answered} answered, {waited.TotalSeconds:0.0} s"),
                DrainLog,
                activityId: 2);
        }
        catch (RapidConnectionException connect)
        {
            var auth = connect.Failure == ConnectFailure.AuthRefused;
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
        catch (Exception error) when (error is not PipelineStoppedException)
        {
            ThrowTerminatingError(new ErrorRecord(error, ErrorIds.ScenarioFailed, error is OperationCanceledException ? ErrorCategory.OperationStopped : ErrorCategory.NotSpecified, scenario.Name));
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

    /// <summary>
    /// With -Token, scenarios with several users (MultiUser) need one identity each: a fresh test user from the
    /// auth service per extra user; the given token when the service cannot give one.
    /// </summary>
    private async Task<string?> TokenPerUser(string userId, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _identities) == 1)
        {
            return Token;
        }

        var outcome = await TestTokenClient.RequestAsync(_settings!.AuthServiceUrl, TestTokenClient.NewTestEmail(), TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        if (outcome.Token is null)
        {
            _log.Warning($"Could not get a test user for {userId} from {outcome.Endpoint} ({outcome.Error}); it shares the -Token user, so user isolation is not tested.");
            return Token;
        }

        return outcome.Token.Token;
    }

    private bool Bound(string parameter) => MyInvocation.BoundParameters.ContainsKey(parameter);

    /// <summary>Parameters, then -Threshold, then the settings' RAPID_TEST_* values, then defaults.</summary>
    private RapidThresholds ResolveThresholds(RapidSettings settings)
    {
        var input = new ThresholdInput
        {
            LatencyPercentile = LatencyPercentile is null ? null : double.Parse(LatencyPercentile, CultureInfo.InvariantCulture),
        };
        try
        {
            ThresholdResolver.MergeTable(input, Threshold);
            input.MaxLatency ??= settings.MaxLatencySec;
            input.MinThroughput ??= settings.MinThroughputPerSec;
            input.MinDeliveryRatio ??= settings.MinDeliveryRatio;
            input.MaxMemoryGrowth ??= settings.MaxMemoryGrowthBytes;
            return ThresholdResolver.Resolve(input);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException(ex.Message, ex), ErrorIds.InvalidScenarioParameter, ErrorCategory.InvalidArgument, Threshold));
            return new RapidThresholds();
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

    private void ParseShard()
    {
        if (Shard is null)
        {
            return;
        }

        var parts = Shard.Split('/');
        var i = int.Parse(parts[0], CultureInfo.InvariantCulture);
        var n = int.Parse(parts[1], CultureInfo.InvariantCulture);
        if (n < 1 || i < 1 || i > n)
        {
            ThrowTerminatingError(new ErrorRecord(
                new ArgumentException($"-Shard '{Shard}' must be i/n with 1 <= i <= n, such as 2/8."),
                ErrorIds.InvalidScenarioParameter,
                ErrorCategory.InvalidArgument,
                Shard));
        }

        _shardIndex = i;
        _shardCount = n;
    }

    private void DrainLog()
    {
        while (_log.TryTake(out var entry))
        {
            if (entry.IsWarning)
            {
                WriteWarning(entry.Text);
            }
            else
            {
                WriteVerbose(entry.Text);
            }
        }
    }

    /// <summary>The core's narration, queued from any thread and written on the pipeline thread.</summary>
    private sealed class CommandLog : IRunLog
    {
        private readonly ConcurrentQueue<(bool IsWarning, string Text)> _queue = new();

        public void Verbose(string message) => _queue.Enqueue((false, message));

        public void Warning(string message) => _queue.Enqueue((true, message));

        public bool TryTake(out (bool IsWarning, string Text) entry) => _queue.TryDequeue(out entry);
    }
}
