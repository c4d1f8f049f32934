using RapidMessageTools.Results;

namespace RapidMessageTools.Scenarios;

/// <summary>What Get-RapidScenario shows.</summary>
public sealed class RapidScenarioInfo
{
    public RapidScenarioInfo(string name, string description, string failsWhen, RapidScenarioParameters defaults)
    {
        Name = name;
        Description = description;
        FailsWhen = failsWhen;
        Defaults = defaults;
    }

    public string Name { get; }

    public string Description { get; }

    public string FailsWhen { get; }

    public RapidScenarioParameters Defaults { get; }

    public override string ToString() => Name;
}
