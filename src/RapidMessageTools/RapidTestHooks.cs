using System;
using System.Net.WebSockets;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Load;
using RapidMessageTools.Protocol;

namespace RapidMessageTools;

/// <summary>
/// Switches and probes for the project's own tests, so they need no reflection into private members.
/// Not for users: nothing here changes a result's meaning, only which platform path produces it.
/// See docs/ARCHITECTURE.md, "Test hooks".
/// </summary>
public static class RapidTestHooks
{
    /// <summary>Whether the rate pacer sleeps with nanosleep (Linux, macOS). False runs the Windows path: 1 ms sleeps, then yields.</summary>
    public static bool UseNanosleep
    {
        get => PreciseSleep.UseNanosleep;
        set => PreciseSleep.UseNanosleep = value;
    }

    /// <summary>Whether receives use the allocation-free Memory overload of WebSocket.ReceiveAsync (true on .NET Core).</summary>
    public static bool UsesMemoryReceive => WebSocketReceive.UsesMemoryOverload;

    /// <summary>Whether <paramref name="socketType"/> itself implements the Memory overload of ReceiveAsync.</summary>
    public static bool ImplementsMemoryReceive(Type socketType) => WebSocketReceive.Implements(socketType);

    /// <summary>Receives one chunk the way the client does; returns its byte count and whether it ended the message.</summary>
    public static async Task<Tuple<int, bool>> ReceiveChunkAsync(WebSocket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        var chunk = await WebSocketReceive.ReceiveAsync(socket, buffer, cancellationToken).ConfigureAwait(false);
        return Tuple.Create(chunk.Count, chunk.EndOfMessage);
    }

    /// <summary>Whether importing the module on <paramref name="frameworkDescription"/> attaches the assembly resolver (.NET Framework: Windows PowerShell 5.1).</summary>
    public static bool ModuleNeedsAssemblyResolver(string frameworkDescription) => Commands.ModuleLifecycle.NeedsResolver(frameworkDescription);

    /// <summary>The file the module's assembly resolver loads for <paramref name="assemblyName"/> from <paramref name="directory"/>, or null.</summary>
    public static string? ResolveModuleAssembly(string directory, string assemblyName) => Commands.ModuleLifecycle.ResolvePath(directory, assemblyName);

    /// <summary>The HttpListener prefixes the mock registers for an address, on Windows (http.sys) or elsewhere.</summary>
    public static string[] MockPrefixes(string address, int port, bool windows) => MockServer.RapidMockServer.Prefixes(address, port, windows);

    /// <summary>Whether a mock whose start failed with <paramref name="errorCode"/> serves on localhost alone instead.</summary>
    public static bool MockFallsBackToLocalhost(int errorCode, string host) => MockServer.RapidMockServer.FallsBackToLocalhost(errorCode, false, host);

    /// <summary>When true, starting a mock is refused for every prefix but localhost's, as http.sys refuses a non-administrator (error 5), so the fallback runs here.</summary>
    public static bool SimulateHttpSysAccessDenied
    {
        get => MockServer.RapidMockServer.SimulateHttpSysAccessDenied;
        set => MockServer.RapidMockServer.SimulateHttpSysAccessDenied = value;
    }

    /// <summary>Whether the mock's connections can batch socket reads and writes here (MockServer/BatchingStream; true on PowerShell 7).</summary>
    public static bool MockCanBatchSocketIo => MockServer.ListenerSocket.CanBatch;

    /// <summary>When false, connections the mock accepts from now on read and write frame by frame, as on a runtime that cannot batch (http.sys).</summary>
    public static bool MockBatchesSocketIo
    {
        get => MockServer.ListenerSocket.Batching;
        set => MockServer.ListenerSocket.Batching = value;
    }

    /// <summary>Whether the mock can drop HttpListener's 8 KB request buffer of a connection that became a WebSocket (true on PowerShell 7).</summary>
    public static bool MockCanReleaseRequestBuffer => MockServer.SocketTuning.CanReleaseRequestBuffer;

    /// <summary>Request buffers the mock has dropped in this process, one per WebSocket it accepted where it can.</summary>
    public static long MockReleasedRequestBuffers => MockServer.SocketTuning.ReleasedRequestBuffers;

    /// <summary>Socket writes the mock's batching streams have made in this process.</summary>
    public static long MockBatchedSocketWrites => MockServer.BatchingStream.SocketWrites;

    /// <summary>When true, a cmdlet's wait on its run holds each step's writes (progress, verbose) until Ctrl+C, so a stop lands while it is about to write.</summary>
    public static bool HoldCmdletWritesUntilStopped
    {
        get => Commands.RapidAsyncCmdlet.HoldWritesUntilStopped;
        set => Commands.RapidAsyncCmdlet.HoldWritesUntilStopped = value;
    }
}
