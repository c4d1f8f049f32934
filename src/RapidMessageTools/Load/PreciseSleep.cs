using System;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading;

namespace RapidMessageTools.Load;

/// <summary>
/// Waits a fraction of a millisecond without spinning. Thread.Sleep has millisecond resolution (15.6 ms on
/// a default Windows timer), and spinning or yielding in a loop takes a core from the client and server being
/// measured. On Linux and macOS this always sleeps with nanosleep, which oversleeps by about 60–100 µs (the
/// kernel's timer slack): a long wait wakes that much early, and a wait shorter than that is slept whole, so
/// a send may leave up to about 100 µs after its time (counted in latency from the intended time) but the
/// thread never yields in a loop — at 20,000 msg/s, yielding between sends 50 µs apart kept a whole core busy,
/// taken from the backend being measured on the same machine. Elsewhere, or when libc cannot be loaded, it
/// sleeps 1 ms when the wait is longer than a Windows timer tick (16 ms) and yields the processor otherwise.
/// </summary>
internal static class PreciseSleep
{
    private static readonly long OneMillisecond = Stopwatch.Frequency / 1000;
    private static readonly long SleepAbove = Stopwatch.Frequency * 250 / 1_000_000;
    private static readonly long WakeEarly = Stopwatch.Frequency * 150 / 1_000_000;
    private static readonly bool IsMacOS = RuntimeInformation.IsOSPlatform(OSPlatform.OSX);
    private static bool _nanosleep = !RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

    /// <summary>Whether waits sleep with nanosleep; false after libc could not be loaded, or when a test switches it off.</summary>
    internal static bool UseNanosleep
    {
        get => Volatile.Read(ref _nanosleep);
        set => Volatile.Write(ref _nanosleep, value);
    }

    /// <summary>
    /// Waits toward a point <paramref name="ticks"/> Stopwatch ticks away, at most 1 ms at a time. With nanosleep:
    /// sleeps, waking 150 µs early (the sleep's own lateness) when the point is more than 250 µs away, and for the
    /// whole wait when it is nearer. Without: yields the processor, or sleeps 1 ms when the point is more than a
    /// Windows timer tick away. Callers loop until their time has come.
    /// </summary>
    public static void For(long ticks)
    {
        if (ticks <= 0)
        {
            return;
        }

        if (_nanosleep)
        {
            try
            {
                var sleep = ticks > SleepAbove ? Math.Min(ticks - WakeEarly, OneMillisecond) : ticks;
                var nanoseconds = sleep * (1_000_000_000.0 / Stopwatch.Frequency);
                var request = new TimeSpec { Seconds = IntPtr.Zero, Nanoseconds = (IntPtr)(long)nanoseconds };
                _ = IsMacOS ? NativeMethods.nanosleep_macos(ref request, IntPtr.Zero) : NativeMethods.nanosleep_linux(ref request, IntPtr.Zero);
                return;
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                _nanosleep = false;
            }
        }

        // Windows: Sleep(1) lasts up to a timer tick (15.6 ms unless something raised the resolution).
        if (!_nanosleep && ticks > 16 * OneMillisecond)
        {
            Thread.Sleep(1);
        }
        else
        {
            Thread.Yield();
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public IntPtr Seconds;
        public IntPtr Nanoseconds;
    }

    private static class NativeMethods
    {
        // glibc's soname: plain "libc" would find the libc.so linker script, which dlopen cannot load.
        [DllImport("libc.so.6", EntryPoint = "nanosleep")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int nanosleep_linux(ref TimeSpec request, IntPtr remaining);

        [DllImport("libSystem.dylib", EntryPoint = "nanosleep")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int nanosleep_macos(ref TimeSpec request, IntPtr remaining);
    }
}
