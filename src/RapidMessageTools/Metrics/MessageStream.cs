namespace RapidMessageTools.Metrics;

/// <summary>
/// The stream a message is sent on, which replies keep the order of: one connection and one agent (null:
/// the session's default agent). The ledger orders replies per stream and abandons a connection's streams when it ends.
/// </summary>
public readonly record struct MessageStream(long ConnectionId, string? AgentId);
