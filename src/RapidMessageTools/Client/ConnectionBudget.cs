using System;
using System.IO;
using System.Runtime.InteropServices;

namespace RapidMessageTools.Client;

/// <summary>
/// What this process can still open: each WebSocket takes one file descriptor (two when the mock runs in the
/// same process, one per side). Checked before a run opens many connections, so going past the limit is a
/// clear error that says how many fit and what to do, not a connect failure part way through the ramp.
/// </summary>
public static class ConnectionBudget
{
    /// <summary>Descriptors kept free for what else the process opens (trace files, the runtime, the shell).</summary>
    public const int Reserve = 64;

    /// <summary>The soft limit on open files of this process (ulimit -n); null where it cannot be read (Windows has no such limit).</summary>
    public static long? FileLimit()
    {
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            return null;
        }

        try
        {
            var limit = default(RLimit);
            var rc = RuntimeInformation.IsOSPlatform(OSPlatform.OSX)
                ? NativeMethods.getrlimit_macos(MacOSNoFile, ref limit)
                : NativeMethods.getrlimit_linux(LinuxNoFile, ref limit);
            if (rc != 0)
            {
                return null;
            }

            var soft = (long)(ulong)limit.Current;
            return soft <= 0 ? null : soft;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Descriptors this process has open now (from /proc/self/fd); null where that cannot be read.</summary>
    public static long? OpenFiles()
    {
        try
        {
            return Directory.Exists("/proc/self/fd") ? Directory.GetFileSystemEntries("/proc/self/fd").LongLength : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Null when <paramref name="connections"/> more connections fit under the process's file limit (or the
    /// limit is unknown); else the reason, with how many fit and what to do. <paramref name="perConnection"/>
    /// is 2 when the server's end of each connection is in this process too.
    /// </summary>
    public static string? Check(long connections, int perConnection = 1) => Check(connections, perConnection, FileLimit(), OpenFiles());

    /// <summary>As above, with the limit and the open count given (for tests).</summary>
    public static string? Check(long connections, int perConnection, long? limit, long? open)
    {
        if (limit is not long max || connections <= 0)
        {
            return null;
        }

        var inUse = open ?? 0;
        var free = max - inUse - Reserve;
        var needed = connections * Math.Max(1, perConnection);
        if (needed <= free)
        {
            return null;
        }

        var fit = Math.Max(0, free / Math.Max(1, perConnection));
        var sides = perConnection > 1 ? $" ({perConnection} descriptors each: the server's end is in this process too)" : string.Empty;
        return FormattableString.Invariant(
            $"{connections} connections{sides} need {needed} file descriptors, but this process may open {max} (ulimit -n) and has {inUse} open, so about {fit} more connections fit. Raise the limit (ulimit -n {needed + inUse + Reserve} in the shell that starts pwsh, or LimitNOFILE for a service), run fewer users per process and spread them with -Shard, or run the mock in another process.");
    }

    private const int LinuxNoFile = 7;
    private const int MacOSNoFile = 8;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public UIntPtr Current;
        public UIntPtr Maximum;
    }

    private static class NativeMethods
    {
        [DllImport("libc.so.6", EntryPoint = "getrlimit")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int getrlimit_linux(int resource, ref RLimit limit);

        [DllImport("libSystem.dylib", EntryPoint = "getrlimit")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int getrlimit_macos(int resource, ref RLimit limit);
    }
}
