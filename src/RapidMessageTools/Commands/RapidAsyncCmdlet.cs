using System;
using System.Diagnostics;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;

namespace RapidMessageTools.Commands;

/// <summary>
/// The one place where sync meets async (STYLE.md 5): a cancellation source cancelled by Ctrl+C
/// (StopProcessing), a wait on the core's task in 250 ms steps that writes progress and drains queued
/// output between steps on the pipeline thread, and clean-up in Dispose (EndProcessing does not run on Ctrl+C).
/// </summary>
public abstract class RapidAsyncCmdlet : PSCmdlet, IDisposable
{
    private const int StepMilliseconds = 250;
    private readonly CancellationTokenSource _cancel = new();
    private bool _disposed;

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

    /// <summary>Releases what the cmdlet holds besides the cancellation source.</summary>
    protected virtual void DisposeResources()
    {
    }

    /// <summary>
    /// Waits for <paramref name="task"/>. After the first second, shows progress (<paramref name="status"/> gives
    /// its text from the time waited). <paramref name="betweenWaits"/> runs on this thread between steps (write
    /// queued verbose output). On Ctrl+C gives the task a second to close its sockets, then stops the pipeline.
    /// A faulted task rethrows its exception.
    /// </summary>
    protected T WaitFor<T>(Task<T> task, string activity, Func<TimeSpan, string> status, Action? betweenWaits = null, int activityId = 1)
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
                _ = task.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                ((IAsyncResult)task).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(1));
                throw new PipelineStoppedException();
            }
            catch (AggregateException)
            {
                break;
            }

            betweenWaits?.Invoke();
            if (clock.Elapsed >= TimeSpan.FromSeconds(1))
            {
                progress ??= new ProgressRecord(activityId, activity, "Working");
                progress.StatusDescription = status(clock.Elapsed);
                WriteProgress(progress);
            }
        }

        betweenWaits?.Invoke();
        if (progress is not null)
        {
            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
        }

        if (_cancel.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }

        return task.GetAwaiter().GetResult();
    }
}
