using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;

namespace RapidMessageTools.Commands;

/// <summary>
/// Import and removal of the module. On Windows PowerShell 5.1 (.NET Framework) the netstandard
/// dependencies beside the dll (System.Text.Json and its own) are resolved from the module folder,
/// since there are no binding redirects; on PowerShell 7 the runtime's copies are used.
/// Removing the module stops every mock server it started.
/// </summary>
public sealed class ModuleLifecycle : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly string ModuleDirectory = Path.GetDirectoryName(typeof(ModuleLifecycle).Assembly.Location) ?? ".";

    public void OnImport()
    {
        if (NeedsResolver(System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription))
        {
            AppDomain.CurrentDomain.AssemblyResolve += ResolveFromModuleDirectory;
        }
    }

    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        foreach (var (runspace, server) in MockServerRegistry.All())
        {
            MockServerRegistry.Remove(runspace, server, out _);
            server.Dispose();
        }

        AppDomain.CurrentDomain.AssemblyResolve -= ResolveFromModuleDirectory;
    }

    /// <summary>Whether the runtime needs the resolver: .NET Framework (Windows PowerShell 5.1), which has no binding redirects for the module's dependencies.</summary>
    internal static bool NeedsResolver(string frameworkDescription) =>
        frameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal);

    /// <summary>
    /// The file in <paramref name="directory"/> that answers a request for <paramref name="assemblyName"/>,
    /// by simple name whatever version is asked for (System.Memory 4.0.1.2 asked by System.Text.Json is
    /// the System.Memory.dll shipped beside it), or null when the module does not ship it.
    /// </summary>
    internal static string? ResolvePath(string directory, string assemblyName)
    {
        var name = new AssemblyName(assemblyName).Name;
        if (string.IsNullOrEmpty(name))
        {
            return null;
        }

        var path = Path.Combine(directory, name + ".dll");
        return File.Exists(path) ? path : null;
    }

    private static Assembly? ResolveFromModuleDirectory(object? sender, ResolveEventArgs args) =>
        ResolvePath(ModuleDirectory, args.Name) is { } path ? Assembly.LoadFrom(path) : null;
}
