using RapidMessageTools.Load;

namespace RapidMessageTools.Results;

/// <summary>The size parameters of a scenario run. Zero means "the scenario's default".</summary>
public sealed class RapidScenarioParameters
{
    public int MessageCount { get; set; }
    public int Connections { get; set; }
    public int Users { get; set; }
    public int BurstSize { get; set; }
    public int Bursts { get; set; }
    public int Agents { get; set; }
    /// <summary>Messages per second for a fixed arrival rate; 0 = as fast as possible.</summary>
    public double Rate { get; set; }
    /// <summary>Seconds to run at the fixed rate.</summary>
    public double Duration { get; set; }
    /// <summary>Seconds to wait for a reply before counting it lost.</summary>
    public double TimeoutSec { get; set; }

    /// <summary>Back-to-back sends keep at most this many messages unanswered per connection (1 = strict request/response); 0 = half the agent's queue capacity.</summary>
    public int MaxInFlight { get; set; }

    /// <summary>Load stages (constant or ramped arrival rates, the whole load's msg/s); empty for a message count or -Rate.</summary>
    public RapidLoadStage[] Stages { get; set; } = [];

    /// <summary>Spacing of sends at an arrival rate: even (Constant) or exponential gaps (Poisson).</summary>
    public RapidArrival Arrival { get; set; }

    /// <summary>Seed of the Poisson gaps (the same seed sends at the same times).</summary>
    public int Seed { get; set; }

    /// <summary>MultiUser: seconds between one user's messages (the mean with Poisson arrivals); sets the run's rate to users / think time. 0 = not given.</summary>
    public double ThinkTime { get; set; }

    /// <summary>MultiUser: users connected per second, each starting to send once connected (and, with -Duration, staying that long); 0 = connect one after another before any sends.</summary>
    public double ConnectRate { get; set; }

    public RapidScenarioParameters Clone() => (RapidScenarioParameters)MemberwiseClone();
}
