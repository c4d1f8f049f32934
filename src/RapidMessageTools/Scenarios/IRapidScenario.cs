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

    Task RunAsync(ScenarioContext context, ScenarioRecorder recorder, CancellationToken cancellationToken);
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
