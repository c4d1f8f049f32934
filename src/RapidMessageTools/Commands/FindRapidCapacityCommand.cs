using System;
using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Threading.Tasks;
using RapidMessageTools.Capacity;
using RapidMessageTools.Client;
using RapidMessageTools.Load;
using RapidMessageTools.Results;
using RapidMessageTools.Scenarios;
using RapidMessageTools.TestEnvironment;

namespace RapidMessageTools.Commands;

/// <summary>Find-RapidCapacity: raises the arrival rate until a limit breaks and reports the highest rate that held.</summary>
[Cmdlet(VerbsCommon.Find, "RapidCapacity")]
[OutputType(typeof(RapidCapacityResult))]
public sealed class FindRapidCapacityCommand : RapidAsyncCmdlet
{
    /// <summary>The WebSocket URL; defaults to $env:E2E_WEBSOCKET_URL, else the mock running in this session.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Url { get; set; }

    /// <summary>A scenario that sends at an arrival rate (Benchmark, MultiUser); another is an InvalidCapacitySearch error naming those that do.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(StagedScenarioCompleter))]
    public string Scenario { get; set; } = "Benchmark";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Token { get; set; }

    [Parameter]
    public TokenTransport TokenTransport { get; set; } = TokenTransport.Header;

    /// <summary>Connections (Benchmark) or users (MultiUser) the load is spread over.</summary>
    [Parameter]
    [ValidateRange(1, 10_000)]
    public int Connections { get; set; }

    /// <summary>Seconds the latency at -LatencyPercentile may reach.</summary>
    [Parameter]
    [ValidateRange(0.000001, 3600.0)]
    public double MaxLatency { get; set; } = RapidThresholds.DefaultMaxLatency;

    [Parameter]
    [ValidateSet("50", "90", "99", "99.9", "100")]
    public string LatencyPercentile { get; set; } = "99";

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double MinDeliveryRatio { get; set; } = RapidThresholds.DefaultMinDeliveryRatio;

    /// <summary>Limits as a hashtable (@{ MaxLatency = 0.5 }), as Invoke-RapidScenario takes them; a parameter wins over a key, a key over RAPID_TEST_* variables.</summary>
    [Parameter]
    public Hashtable? Threshold { get; set; }

    [Parameter]
    [ValidateRange(0.001, 10_000_000.0)]
    public double StartRate { get; set; } = 100;

    [Parameter]
    [ValidateRange(0.001, 10_000_000.0)]
    public double MaxRate { get; set; } = 1_000_000;

    [Parameter]
    [ValidateRange(1.01, 100.0)]
    public double Growth { get; set; } = 2;

    [Parameter]
    [ValidateRange(0.001, 0.5)]
    public double Precision { get; set; } = 0.05;

    /// <summary>Seconds each step sends for.</summary>
    [Parameter]
    [ValidateRange(0.1, 86_400.0)]
    public double StepDuration { get; set; } = 10;

    [Parameter]
    [ValidateRange(1, 1000)]
    public int MaxSteps { get; set; } = 20;

    [Parameter]
    public RapidArrival Arrival { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Seed { get; set; }

    [Parameter]
    [ValidateRange(0.1, 3600.0)]
    public double TimeoutSec { get; set; }

    [Parameter]
    [ValidateRange(0.0, 3600.0)]
    public double TimelineInterval { get; set; } = 1;

    [Parameter]
    [ValidateRange(1, 100)]
    public int ConnectAttempts { get; set; } = 3;

    /// <summary>How the backend speaks: a built-in name, a profile's path, or a hashtable (RAPID_TEST_PROTOCOL when absent).</summary>
    [Parameter]
    public object? Protocol { get; set; }

    /// <summary>Capacity searches to compare with (a file or folder Export-RapidResult wrote, or results); a regressed capacity turns Passed false. RAPID_TEST_BASELINE when absent.</summary>
    [Parameter]
    [ValidateNotNull]
    public object? Baseline { get; set; }

    /// <summary>How much lower the capacity may be than the baseline: @{ Capacity = 0.1 }.</summary>
    [Parameter]
    public Hashtable? Tolerance { get; set; }

    protected override void EndProcessing()
    {
        var settings = SessionSettings.Resolve(this, new RapidSettingsInput { WebSocketUrl = Url }, s => !s.IsWebSocketUrlConfigured);
        if (settings.IsMock && !settings.IsWebSocketUrlConfigured)
        {
            ThrowTerminatingError(new ErrorRecord(
                new ArgumentException("No backend URL: pass -Url, set E2E_WEBSOCKET_URL, or start the mock with Start-RapidMockServer (-SetEnvironment)."),
                ErrorIds.NoBackendUrl,
                ErrorCategory.InvalidArgument,
                null));
        }

        var limits = ThresholdBinding.Resolve(this, Threshold);
        var tolerances = BaselineBinding.Tolerances(this, Tolerance);
        var baseline = BaselineBinding.Load(this, Baseline);
        var options = new CapacitySearchOptions
        {
            Scenario = Scenario,
            StartRate = StartRate,
            MaxRate = MaxRate,
            Growth = Growth,
            Precision = Precision,
            StepDuration = StepDuration,
            MaxSteps = MaxSteps,
            Connections = Connections,
            Arrival = Arrival,
            Seed = Seed,
            TimeoutSec = TimeoutSec,
            TimelineInterval = TimelineInterval,
            Limits = limits,
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException bad)
        {
            ThrowTerminatingError(new ErrorRecord(bad, ErrorIds.InvalidCapacitySearch, ErrorCategory.InvalidArgument, null));
        }

        var url = settings.WebSocketUrl;
        var profile = ProtocolArgument.Resolve(this, Protocol, url);
        var runId = "c" + Guid.NewGuid().ToString("N").Substring(0, 8);
        var progress = new CapacityProgress();
        var step = 0;
        ScenarioContext NewContext(RapidScenarioParameters parameters, RapidThresholds limits) =>
            new(url, runId + "-" + (++step).ToString(CultureInfo.InvariantCulture), parameters, limits)
            {
                Token = Token,
                TokenTransport = TokenTransport,
                ConnectAttempts = ConnectAttempts,
                Log = Log,
                Profile = profile,
            };

        WriteVerbose($"Capacity search on {Scenario} against {ConnectionOptions.Redact(url)}: from {StartRate} msg/s, {StepDuration} s per step, limits p{limits.LatencyPercentile} <= {limits.MaxLatency} s, delivery >= {limits.MinDeliveryRatio}, no rejections.");
        var task = Task.Run(() => CapacitySearch.RunAsync(options, NewContext, progress, Log, Cancellation));
        RapidCapacityResult result;
        try
        {
            result = WaitFor(task, "Find-RapidCapacity", _ => Status(progress), DrainLog, activityId: 3);
        }
        catch (RapidConnectionException connect)
        {
            ThrowTerminatingError(new ErrorRecord(
                connect,
                connect.Failure == ConnectFailure.AuthRequired ? ErrorIds.ScenarioAuthRefused : ErrorIds.ScenarioConnectFailed,
                connect.Failure == ConnectFailure.AuthRequired ? ErrorCategory.PermissionDenied : ErrorCategory.ConnectionError,
                connect.Url));
            return;
        }

        if (result.GeneratorLimited)
        {
            WriteWarning("The generator could not go faster than the backend: the capacity is at least " + result.HighestHeldRate.ToString(CultureInfo.InvariantCulture) + " msg/s. Spread the load over more machines (Invoke-RapidScenario -Shard) to find the backend's limit.");
        }

        BaselineBinding.Judge(this, baseline, tolerances, result);
        WriteObject(result);
    }

    private static string Status(CapacityProgress p)
    {
        var sp = p.StepProgress;
        return string.Format(
            CultureInfo.InvariantCulture,
            "step {0} ({1}) at {2} msg/s: {3} sent, {4} answered; held {5} msg/s{6}",
            p.Step,
            p.Phase,
            p.Rate,
            sp?.Sent ?? 0,
            sp?.Answered ?? 0,
            p.HighestHeld,
            p.LowestBroken is double b ? string.Format(CultureInfo.InvariantCulture, ", broke {0} msg/s", b) : string.Empty);
    }
}
