using System;
using System.Threading;
using System.Threading.Tasks;

namespace RapidMessageTools.TestEnvironment;

/// <summary>Thrown by a probe step that got an answer it can describe (an HTTP error status, a body that is not what the protocol says).</summary>
internal sealed class ProbeFailureException : Exception
{
    public ProbeFailureException(ProbeFailure failure)
        : base(failure.Message) => Failure = failure;

    public ProbeFailure Failure { get; }
}

/// <summary>
/// Runs network work under a hard deadline: the work gets a token that fires at the timeout, and the
/// wait ends shortly after even if the work ignores its token (DNS lookups and some handshakes do).
/// </summary>
internal static class Deadline
{
    /// <summary>How long past the timeout to wait for work that was told to stop before abandoning it.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// Returns the work's result; throws <see cref="TimeoutException"/> when the deadline passed,
    /// <see cref="OperationCanceledException"/> when <paramref name="caller"/> was cancelled, else what the work threw.
    /// </summary>
    public static async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> work, TimeSpan timeout, CancellationToken caller)
    {
        if (timeout <= TimeSpan.Zero)
        {
            throw new TimeoutException();
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(caller);
        deadline.CancelAfter(timeout);
        using var stopWaiting = CancellationTokenSource.CreateLinkedTokenSource(caller);
        Task<T> task;
        try
        {
            task = work(deadline.Token);
        }
        catch (Exception) when (caller.IsCancellationRequested)
        {
            throw new OperationCanceledException(caller);
        }

        var giveUp = Task.Delay(timeout + Grace, stopWaiting.Token);
        var first = await Task.WhenAny(task, giveUp).ConfigureAwait(false);
        stopWaiting.Cancel();
        if (first != task)
        {
            // Abandoned: observe its exception so it does not surface as an unobserved task exception.
            _ = task.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            caller.ThrowIfCancellationRequested();
            throw new TimeoutException();
        }

        try
        {
            return await task.ConfigureAwait(false);
        }
        catch (Exception) when (caller.IsCancellationRequested)
        {
            throw new OperationCanceledException(caller);
        }
        catch (Exception ex) when (deadline.IsCancellationRequested && ex is not ProbeFailureException)
        {
            throw new TimeoutException("The deadline passed.", ex);
        }
    }
}
