namespace RapidMessageTools.Results;

/// <summary>
/// Which limits a scenario judges on every run: latency and throughput apply only to the scenarios that
/// measure them (a limit the caller named applies always). The merger judges merged figures by it.
/// </summary>
public readonly record struct ScenarioJudging(bool ChecksLatency, bool ChecksThroughput);
