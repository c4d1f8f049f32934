using System.Collections.Concurrent;
using System.Management.Automation;
using RapidMessageTools.Logging;

namespace RapidMessageTools.Commands;

/// <summary>The core's narration, queued from any thread and written on the pipeline thread by <see cref="Drain"/>.</summary>
internal sealed class QueuedRunLog : IRunLog
{
    private readonly ConcurrentQueue<(bool IsWarning, string Text)> _queue = new();

    public void Verbose(string message) => _queue.Enqueue((false, message));

    public void Warning(string message) => _queue.Enqueue((true, message));

    /// <summary>Writes what is queued. Call on the pipeline thread only.</summary>
    public void Drain(Cmdlet cmdlet)
    {
        while (_queue.TryDequeue(out var entry))
        {
            if (entry.IsWarning)
            {
                cmdlet.WriteWarning(entry.Text);
            }
            else
            {
                cmdlet.WriteVerbose(entry.Text);
            }
        }
    }
}
