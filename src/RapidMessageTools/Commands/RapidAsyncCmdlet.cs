using System;
using System.Diagnostics;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Logging;

namespace RapidMessageTools.Commands;

/// <summary>
/// The one place where sync meets async: a cancellation source cancelled by Ctrl+C (StopProcessing), a
/// wait on the core's task in 250 ms steps that writes progress and drains the core's queued narration
/// (<see cref="Log"/>) between steps on the pipeline thread, and clean-up in Dispose (EndProcessing does
/// not run on Ctrl+C). See docs/ARCHITECTURE.md, "Where sync meets async".
/// </summary>
public abstract class RapidAsyncCmdlet : PSCmdlet, IDisposable
{
    private const int StepMilliseconds = 250;

    /// <summary>
    /// How long Ctrl+C waits for the core to return its partial result. A run closes its sockets in a quarter of a
    /// second once stopped, so this is rarely reached; it is generous because a busy machine (a CI agent running
    /// tests side by side) can stretch that quarter, and a result lost is worse than a stop three seconds slower.
    /// </summary>
    private static readonly TimeSpan InterruptGrace = TimeSpan.FromSeconds(5);
    private readonly CancellationTokenSource _cancel = new();
    private readonly QueuedRunLog _log = new();
    private bool _disposed;

    /// <summary>Where the core narrates from any thread; written as verbose and warning records on the pipeline thread.</summary>
    protected IRunLog Log => _log;

    /// <summary>Cancelled when the user presses Ctrl+C or the pipeline stops.</summary>
    protected CancellationToken Cancellation => _cancel.Token;

    protected bool IsStopping => _cancel.IsCancellationRequested;

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        DisposeResources();
        _cancel.Dispose();
        GC.SuppressFinalize(this);
    }

    protected override void StopProcessing() => _cancel.Cancel();

    protected override void EndProcessing() => DrainLog();

    /// <summary>Writes what the core queued in <see cref="Log"/>; call only on the pipeline thread.</summary>
    protected void DrainLog() => _log.Drain(this);

    /// <summary>
    /// Called on Ctrl+C once the core's task has ended (within its grace period) with what it returned. The
    /// pipeline is stopping, so nothing can be written to it: a cmdlet keeps the partial result where the user finds it.
    /// </summary>
    protected virtual void OnInterrupted(object? partialResult)
    {
    }

    /// <summary>Releases what the cmdlet holds besides the cancellation source.</summary>
    protected virtual void DisposeResources()
    {
    }

    /// <summary>
    /// Waits for <paramref name="task"/>. After the first second, shows progress (<paramref name="status"/> gives
    /// its text from the time waited). <paramref name="betweenWaits"/> runs on this thread between steps (write
    /// queued verbose output). On Ctrl+C gives the task <see cref="InterruptGrace"/> to close its sockets and return its partial
    /// result (handed to <see cref="OnInterrupted"/>), then stops the pipeline.
    /// A faulted task rethrows its exception.
    /// </summary>
    /// <param name="refine">Sets more of the record before it is written (PercentComplete, SecondsRemaining).</param>
    protected T WaitFor<T>(Task<T> task, string activity, Func<TimeSpan, string> status, Action? betweenWaits = null, int activityId = 1, Action<ProgressRecord>? refine = null)
    {
        var clock = Stopwatch.StartNew();
        ProgressRecord? progress = null;
        while (!task.IsCompleted)
        {
            try
            {
                task.Wait(StepMilliseconds, _cancel.Token);
            }
            catch (OperationCanceledException)
            {
                throw Interrupt(task);
            }
            catch (AggregateException)
            {
                break;
            }

            // Ctrl+C can land while this thread writes: PowerShell marks the pipeline stopping before it calls
            // StopProcessing, and every write from then on throws PipelineStoppedException. The partial result is
            // kept all the same.
            try
            {
                if (HoldWritesUntilStopped)
                {
                    _cancel.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(30));
                }

                betweenWaits?.Invoke();
                if (clock.Elapsed >= TimeSpan.FromSeconds(1))
                {
                    progress ??= new ProgressRecord(activityId, activity, "Working");
                    progress.StatusDescription = status(clock.Elapsed);
                    refine?.Invoke(progress);
                    WriteProgress(progress);
                }
            }
            catch (PipelineStoppedException)
            {
                throw Interrupt(task);
            }
        }

        try
        {
            betweenWaits?.Invoke();
            if (progress is not null)
            {
                progress.RecordType = ProgressRecordType.Completed;
                WriteProgress(progress);
            }
        }
        catch (PipelineStoppedException)
        {
            throw Interrupt(task);
        }

        if (_cancel.IsCancellationRequested)
        {
            throw Interrupt(task);
        }

        return task.GetAwaiter().GetResult();
    }

    /// <summary>
    /// Test hook (RapidTestHooks.HoldCmdletWritesUntilStopped): each wait step holds its writes until Ctrl+C, so the
    /// stop always lands while the pipeline thread is about to write, the window a busy machine hits by chance.
    /// </summary>
    internal static bool HoldWritesUntilStopped { get; set; }

    /// <summary>
    /// Ctrl+C: cancels the core (StopProcessing may not have run yet), gives it <see cref="InterruptGrace"/> to close
    /// its sockets and return its partial result, hands that to <see cref="OnInterrupted"/>, and returns the exception
    /// that stops the pipeline.
    /// </summary>
    private PipelineStoppedException Interrupt<T>(Task<T> task)
    {
        _cancel.Cancel();
        _ = task.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        ((IAsyncResult)task).AsyncWaitHandle.WaitOne(InterruptGrace);
        OnInterrupted(task.Status == TaskStatus.RanToCompletion ? task.Result : null);
        return new PipelineStoppedException();
    }
}
