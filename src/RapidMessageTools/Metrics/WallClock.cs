using System;
using System.Diagnostics;

namespace RapidMessageTools.Metrics;

/// <summary>Stopwatch timestamps as wall-clock time.</summary>
internal static class WallClock
{
    /// <summary>A Stopwatch timestamp as UTC wall-clock time (same clock for every result of this process).</summary>
    public static DateTime At(long timestamp) =>
        DateTime.UtcNow - TimeSpan.FromSeconds((Stopwatch.GetTimestamp() - timestamp) / (double)Stopwatch.Frequency);
}
