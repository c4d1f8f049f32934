using System;
using System.IO;
using System.Management.Automation;
using RapidMessageTools.Client;

namespace RapidMessageTools.Commands;

/// <summary>Opens a -TraceFile for a cmdlet, or stops it with TraceFileUnwritable saying what to do.</summary>
internal static class TraceFiles
{
    public static FrameTraceWriter? Open(PSCmdlet cmdlet, string? traceFile)
    {
        if (traceFile is null)
        {
            return null;
        }

        var path = cmdlet.GetUnresolvedProviderPathFromPSPath(traceFile);
        try
        {
            var writer = new FrameTraceWriter(path);
            cmdlet.WriteVerbose($"Tracing to {path}.");
            return writer;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(
                new ArgumentException($"Cannot write the trace file '{path}': {ex.Message} Choose a writable -TraceFile path.", ex),
                ErrorIds.TraceFileUnwritable,
                ErrorCategory.WriteError,
                path));
            throw;
        }
    }
}
