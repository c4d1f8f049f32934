using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Client;
using RapidMessageTools.Load;
using RapidMessageTools.Results;

namespace RapidMessageTools.Scenarios;

/// <summary>Runs one scenario: memory before and after, a recorder whose connections are always closed, the result.</summary>
public static class ScenarioRunner
{
    /// <summary>Fills zeros in <paramref name="given"/> with the scenario's defaults; a fixed rate with a duration sets the count.</summary>
    public static RapidScenarioParameters ResolveParameters(IRapidScenario scenario, RapidScenarioParameters given)
    {
        if (given.Duration > 0 && given.Rate <= 0 && given.ThinkTime <= 0)
        {
            throw new ArgumentException("-Duration is how long to send at -Rate (or, for MultiUser, -ThinkTime): give -Rate (messages per second) or -ThinkTime with it, or use -MessageCount alone.", "Duration");
        }

        var d = scenario.Defaults;
        var p = given.Clone();
        p.MessageCount = p.MessageCount > 0 ? p.MessageCount : d.MessageCount;
        if (p.Rate > 0 && p.Duration > 0 && given.MessageCount == 0)
        {
            p.MessageCount = (int)Math.Min(int.MaxValue, Math.Ceiling(p.Rate * p.Duration));
        }

        p.Connections = p.Connections > 0 ? p.Connections : Math.Max(1, d.Connections);
        p.Users = p.Users > 0 ? p.Users : d.Users;
        p.BurstSize = p.BurstSize > 0 ? p.BurstSize : d.BurstSize;
        p.Bursts = p.Bursts > 0 ? p.Bursts : d.Bursts;
        p.Agents = p.Agents > 0 ? p.Agents : d.Agents;
        p.TimeoutSec = p.TimeoutSec > 0 ? p.TimeoutSec : d.TimeoutSec;
        p.Stages ??= [];
        if (p.Arrival == RapidArrival.Poisson && p.Seed == 0)
        {
            // Recorded in the result, so a run can be repeated send for send.
            p.Seed = Environment.TickCount & int.MaxValue | 1;
        }

        return p;
    }

    /// <summary>Stages and Poisson arrivals apply to scenarios that send a load (<see cref="IStagedScenario"/>); elsewhere they are an error.</summary>
    internal static void CheckLoadShape(IRapidScenario scenario, RapidScenarioParameters p)
    {
        var staged = p.Stages is { Length: > 0 };
        if (staged && (p.Rate > 0 || p.Duration > 0))
        {
            throw new ArgumentException("-Stage sets the rate and the length of the run: leave out -Rate and -Duration, or leave out -Stage.");
        }

        if ((staged || p.Arrival == RapidArrival.Poisson) && scenario is not IStagedScenario)
        {
            throw new ArgumentException($"{scenario.Name} sends a fixed pattern of messages; -Stage and -Arrival Poisson apply to {string.Join(" and ", ScenarioRegistry.Scenarios.OfType<IStagedScenario>().Select(s => ((IRapidScenario)s).Name))}.");
        }

        if ((p.ThinkTime > 0 || p.ConnectRate > 0) && scenario is not IUserSessionScenario)
        {
            throw new ArgumentException($"{scenario.Name} has no users to pace: -ThinkTime and -ConnectRate apply to {string.Join(" and ", ScenarioRegistry.Scenarios.OfType<IUserSessionScenario>().Select(s => ((IRapidScenario)s).Name))}.");
        }

        if (p.ThinkTime > 0 && (p.Rate > 0 || staged))
        {
            throw new ArgumentException("-ThinkTime sets the rate (users / think time): leave out -Rate and -Stage, or leave out -ThinkTime.");
        }

        if (p.ConnectRate > 0 && staged)
        {
            throw new ArgumentException("-Stage shapes the whole load from one start, while -ConnectRate starts each user when it connects: use -Rate or -ThinkTime with -ConnectRate, or leave out -ConnectRate.");
        }

        if (p.Arrival == RapidArrival.Poisson && !staged && p.Rate <= 0 && p.ThinkTime <= 0)
        {
            throw new ArgumentException("-Arrival Poisson spaces sends at an arrival rate: add -Rate (msg/s), -ThinkTime or -Stage.");
        }
    }

    /// <summary>-ThinkTime as the rate of the whole load: every user (of every shard) sends one message per think time.</summary>
    internal static void ApplyThinkTime(RapidScenarioParameters p, int shardCount)
    {
        if (p.ThinkTime > 0)
        {
            p.Rate = Math.Max(1, p.Users) * (double)Math.Max(1, shardCount) / p.ThinkTime;
        }
    }

    /// <summary>How long each connection waits for the server's close at the end of a run.</summary>
    internal static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The same after Ctrl+C: short, so the partial result is back well within the cmdlet's grace period
    /// (a server slow to answer a close must not cost the user the figures of the run).
    /// </summary>
    internal static readonly TimeSpan InterruptedCloseWait = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Runs <paramref name="scenario"/>. Throws <see cref="RapidConnectionException"/> when it cannot start
    /// (the first connection fails); a connection failure later is a violation in the result.
    /// </summary>
    public static async Task<RapidScenarioResult> RunAsync(IRapidScenario scenario, ScenarioContext context, CancellationToken cancellationToken)
    {
        CheckLoadShape(scenario, context.Parameters);
        ApplyThinkTime(context.Parameters, context.ShardCount);
        if (scenario is IConnectionCount counted && ConnectionBudget.Check(counted.ConnectionsNeeded(context.Parameters), context.ServerInProcess ? 2 : 1) is string tooMany)
        {
            throw new ConnectionLimitException(tooMany);
        }

        var start = DateTime.UtcNow;
        var before = GC.GetTotalMemory(true);
        var clock = Stopwatch.StartNew();
        var recorder = new ScenarioRecorder(context);
        var sender = new MessageSender(context, recorder);
        var measured = new ScenarioMeasurements();
        try
        {
            if (recorder.CanRun(scenario))
            {
                measured = await scenario.RunAsync(context, recorder, sender, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (RapidConnectionException) when (recorder.Ledger.Sent == 0 && recorder.ConnectionDrops == 0 && recorder.Violations.Count == 0)
        {
            throw;
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C: the partial figures are still the user's, marked Interrupted (never Passed).
            recorder.Interrupted = true;
        }
        catch (Exception ex) when (ScenarioRecorder.IsFinding(ex))
        {
            // The server stopped answering or the connection broke mid-run: a finding, not a crash.
            recorder.RunEndedBy(ex);
        }
        finally
        {
            await recorder.DisposeAsync(cancellationToken.IsCancellationRequested ? InterruptedCloseWait : CloseWait).ConfigureAwait(false);
        }

        clock.Stop();
        recorder.Interrupted |= cancellationToken.IsCancellationRequested;
        var growth = Math.Max(0, GC.GetTotalMemory(true) - before);
        context.Progress.Phase = "done";
        return ResultBuilder.Build(scenario, context, recorder, sender, measured, start, clock.Elapsed.TotalSeconds, growth);
    }
}
