using System;
using System.Collections.Generic;
using System.Linq;
using RapidMessageTools.MockServer;

namespace RapidMessageTools.Commands;

/// <summary>The mock servers each PowerShell runspace started, so Get-/Stop-RapidMockServer see their own session's servers.</summary>
internal static class MockServerRegistry
{
    private static readonly Dictionary<Guid, List<Entry>> Servers = new();

    public static void Add(Guid runspace, RapidMockServer server, IDictionary<string, string?>? savedEnvironment)
    {
        lock (Servers)
        {
            if (!Servers.TryGetValue(runspace, out var list))
            {
                Servers[runspace] = list = new List<Entry>();
            }

            list.Add(new Entry(server, savedEnvironment));
        }
    }

    public static IReadOnlyList<RapidMockServer> List(Guid runspace)
    {
        lock (Servers)
        {
            return Servers.TryGetValue(runspace, out var list) ? list.Select(e => e.Server).ToArray() : Array.Empty<RapidMockServer>();
        }
    }

    /// <summary>Takes a server out of the registry; returns the environment values to restore, if it set any.</summary>
    public static bool Remove(Guid runspace, RapidMockServer server, out IDictionary<string, string?>? savedEnvironment)
    {
        savedEnvironment = null;
        lock (Servers)
        {
            if (!Servers.TryGetValue(runspace, out var list))
            {
                return false;
            }

            var index = list.FindIndex(e => ReferenceEquals(e.Server, server));
            if (index < 0)
            {
                return false;
            }

            savedEnvironment = list[index].SavedEnvironment;
            list.RemoveAt(index);
            return true;
        }
    }

    /// <summary>Every server of every runspace (module removal stops them all).</summary>
    public static IReadOnlyList<(Guid Runspace, RapidMockServer Server)> All()
    {
        lock (Servers)
        {
            return Servers.SelectMany(kv => kv.Value.Select(e => (kv.Key, e.Server))).ToArray();
        }
    }

    private sealed record Entry(RapidMockServer Server, IDictionary<string, string?>? SavedEnvironment);
}
