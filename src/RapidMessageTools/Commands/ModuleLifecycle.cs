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
        if (System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal))
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

    private static Assembly? ResolveFromModuleDirectory(object? sender, ResolveEventArgs args)
    {
        var name = new AssemblyName(args.Name).Name;
        var path = Path.Combine(ModuleDirectory, name + ".dll");
        return File.Exists(path) ? Assembly.LoadFrom(path) : null;
    }
}
