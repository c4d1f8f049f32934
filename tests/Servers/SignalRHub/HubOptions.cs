using System.Globalization;

namespace SignalRHub;

/// <summary>The command line of the hub.</summary>
public sealed class HubOptions
{
    /// <summary>Each fault: what it does. Its value is a rate in [0, 1] (1 when not given), drawn from the seeded generator.</summary>
    public static readonly IReadOnlyDictionary<string, string> KnownFaults = new Dictionary<string, string>
    {
        ["drop-replies"] = "a reply is never sent (the message is processed and counted)",
        ["duplicate-replies"] = "a reply is sent twice, the second not marked duplicate",
        ["reorder-replies"] = "a reply is held back until the next reply of the same agent went out",
        ["no-idempotency"] = "a repeated messageId is processed again and answered as new",
        ["silent-overflow"] = "a full queue drops the message silently instead of answering queue_full",
        ["stale-state"] = "GetAgentState reports the messageCount of three messages ago",
        ["drop-chunk"] = "one chunk of a stream is left out (the indexes skip it)",
        ["no-state-update"] = "no StateUpdated to the user's other connections",
    };

    public const string Usage =
        "usage: SignalRHub [--urls URL] [--queue-capacity N] [--response-delay S] [--jitter S] [--seed N] " +
        "[--fault NAME[=RATE]]... [--stream-chunks N] [--chunk-interval S] [--keep-alive S] [--client-timeout S] " +
        "[--max-lifetime S] [--exit-on-stdin-eof]";

    public string Urls { get; private set; } = "http://127.0.0.1:0";
    public int QueueCapacity { get; private set; } = 500;
    public double ResponseDelaySeconds { get; private set; }
    public double JitterSeconds { get; private set; }
    public int Seed { get; private set; } = 1;
    public Dictionary<string, double> Faults { get; } = new(StringComparer.Ordinal);
    public int StreamChunks { get; private set; }
    public double ChunkIntervalSeconds { get; private set; }
    /// <summary>How often the server sends a SignalR ping (type 6) to an idle connection; 15 s like ASP.NET Core's default.</summary>
    public double KeepAliveSeconds { get; private set; } = 15;
    /// <summary>How long the server waits for any message (a ping included) from a client before it drops it; 30 s by default.</summary>
    public double ClientTimeoutSeconds { get; private set; } = 30;
    public double MaxLifetimeSeconds { get; private set; } = 1800;
    public bool ExitOnStdinEof { get; private set; }

    public static HubOptions Parse(string[] args)
    {
        var o = new HubOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Value()
            {
                if (i + 1 >= args.Length) { throw new ArgumentException(name + " needs a value."); }
                return args[++i];
            }
            switch (name)
            {
                case "--urls": o.Urls = Value(); break;
                case "--queue-capacity": o.QueueCapacity = (int)Number(name, Value(), 1); break;
                case "--response-delay": o.ResponseDelaySeconds = Number(name, Value(), 0); break;
                case "--jitter": o.JitterSeconds = Number(name, Value(), 0); break;
                case "--seed": o.Seed = (int)Number(name, Value(), int.MinValue); break;
                case "--stream-chunks": o.StreamChunks = (int)Number(name, Value(), 0); break;
                case "--chunk-interval": o.ChunkIntervalSeconds = Number(name, Value(), 0); break;
                case "--keep-alive": o.KeepAliveSeconds = Number(name, Value(), 0.1); break;
                case "--client-timeout": o.ClientTimeoutSeconds = Number(name, Value(), 0.1); break;
                case "--max-lifetime": o.MaxLifetimeSeconds = Number(name, Value(), 1); break;
                case "--exit-on-stdin-eof": o.ExitOnStdinEof = true; break;
                case "--fault":
                    var spec = Value();
                    var eq = spec.IndexOf('=', StringComparison.Ordinal);
                    var fault = eq < 0 ? spec : spec[..eq];
                    if (!KnownFaults.ContainsKey(fault))
                    {
                        throw new ArgumentException($"unknown fault '{fault}'; known: {string.Join(", ", KnownFaults.Keys)}.");
                    }
                    var rate = eq < 0 ? 1 : Number("--fault " + fault, spec[(eq + 1)..], 0);
                    o.Faults[fault] = Math.Min(1, rate);
                    break;
                default: throw new ArgumentException($"unknown option '{name}'.");
            }
        }
        return o;
    }

    private static double Number(string name, string text, double min)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < min)
        {
            throw new ArgumentException($"{name} takes a number >= {min.ToString(CultureInfo.InvariantCulture)}, not '{text}'.");
        }
        return value;
    }
}
