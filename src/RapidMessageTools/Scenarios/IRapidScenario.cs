using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Results;

namespace RapidMessageTools.Scenarios;

/// <summary>A scenario: one kind of defect it is built to catch, and the defaults that make it run in seconds.</summary>
public interface IRapidScenario
{
    string Name { get; }

    string Description { get; }

    /// <summary>What makes it fail.</summary>
    string FailsWhen { get; }

    /// <summary>Default size parameters; a zero in the caller's parameters takes the default.</summary>
    RapidScenarioParameters Defaults { get; }

    /// <summary>Whether MinThroughput applies unless the caller set it explicitly.</summary>
    bool ChecksThroughput { get; }

    /// <summary>Whether MaxLatency applies unless the caller set it explicitly (queue floods measure queueing, not service).</summary>
    bool ChecksLatency { get; }

    /// <summary>
    /// The canonical messages it sends or must receive besides user_message and ai_response: a protocol
    /// profile that lists one as Unsupported makes the run Inconclusive, naming it.
    /// </summary>
    IReadOnlyList<string> Needs { get; }

    /// <summary>
    /// What it judges by matching replies to messages by id (order, duplicates, replays), in words; null when
    /// nothing. A profile that correlates replies by order cannot judge it: the run says so and is not Passed.
    /// </summary>
    string? ChecksById { get; }

    /// <summary>True for a scenario that provokes queue_full on purpose (QueueOverflow): its rejections do not count against delivery.</summary>
    bool RejectionsExpected { get; }

    /// <summary>Runs the scenario: it sends through <paramref name="sender"/>, adds its findings to <paramref name="recorder"/>, and returns what it measured.</summary>
    Task<ScenarioMeasurements> RunAsync(ScenarioContext context, ScenarioRecorder recorder, MessageSender sender, CancellationToken cancellationToken);
}

/// <summary>What a scenario measured beyond what its recorder saw; null where it did not measure.</summary>
public sealed class ScenarioMeasurements
{
    /// <summary>Nothing measured beyond the recorder's figures.</summary>
    public static Task<ScenarioMeasurements> NoneAsync { get; } = Task.FromResult(new ScenarioMeasurements());

    /// <summary>The server's RSS from agent_state memory_usage before and after the load, when it reports it.</summary>
    public long? ServerRssStart { get; set; }

    public long? ServerRssEnd { get; set; }

    /// <summary>QueueOverflow: whether the flood provoked queue_full.</summary>
    public bool? OverflowProvoked { get; set; }
}

/// <summary>A scenario that sends a load whose arrival rate can change over the run (-Stage) or be Poisson (-Arrival).</summary>
public interface IStagedScenario
{
}

/// <summary>A scenario of users with a connection each, which can ramp its connections in (-ConnectRate) and pace each user by a think time (-ThinkTime).</summary>
public interface IUserSessionScenario
{
}

/// <summary>A scenario that opens a number of connections known from its parameters, checked against the process's file limit before the run.</summary>
public interface IConnectionCount
{
    /// <summary>Connections the run opens with <paramref name="parameters"/> (defaults applied).</summary>
    int ConnectionsNeeded(RapidScenarioParameters parameters);
}
