namespace RapidMessageTools.Protocol;

/// <summary>The <c>type</c> values of the wire protocol (docs/PROTOCOL.md).</summary>
public static class MessageType
{
    public const string UserMessage = "user_message";
    public const string GetAgentState = "get_agent_state";
    public const string GetQueueState = "get_queue_state";
    public const string Ping = "ping";

    public const string AiResponse = "ai_response";
    public const string AgentState = "agent_state";
    public const string QueueState = "queue_state";
    public const string StateUpdate = "state_update";
    public const string Error = "error";
    public const string Pong = "pong";
}

/// <summary>The <c>code</c> values of <c>error</c> frames.</summary>
public static class ErrorCode
{
    public const string InvalidJson = "invalid_json";
    public const string InvalidMessage = "invalid_message";
    public const string UnknownType = "unknown_type";
    public const string QueueFull = "queue_full";
}
