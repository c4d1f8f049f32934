using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.SignalR;

namespace SignalRHub;

// The wire shapes of module/Examples/signalr-chat.json. Property names are spelled out, so the
// contract does not hang on the JSON protocol's naming policy; nulls are left out (Program.cs).

public sealed record UserMessageDto(
    [property: JsonPropertyName("messageId")] string? MessageId,
    [property: JsonPropertyName("sequenceId")] long? SequenceId,
    [property: JsonPropertyName("content")] string? Content,
    [property: JsonPropertyName("agentId")] string? AgentId);

public sealed record ReplyDto(
    [property: JsonPropertyName("messageId")] string MessageId,
    [property: JsonPropertyName("sequenceId")] long SequenceId,
    [property: JsonPropertyName("agentId")] string AgentId,
    [property: JsonPropertyName("content")] string Content,
    [property: JsonPropertyName("timestamp")] double Timestamp)
{
    [JsonPropertyName("duplicate")] public bool? Duplicate { get; init; }
    [JsonPropertyName("chunkCount")] public int? ChunkCount { get; init; }
    [JsonPropertyName("cancelled")] public bool? Cancelled { get; init; }
}

public sealed record ChunkDto(
    [property: JsonPropertyName("messageId")] string MessageId,
    [property: JsonPropertyName("sequenceId")] long SequenceId,
    [property: JsonPropertyName("agentId")] string AgentId,
    [property: JsonPropertyName("chunkIndex")] int ChunkIndex,
    [property: JsonPropertyName("content")] string Content);

public sealed record StateUpdateDto(
    [property: JsonPropertyName("userId")] string UserId,
    [property: JsonPropertyName("agentId")] string AgentId,
    [property: JsonPropertyName("messageCount")] int MessageCount,
    [property: JsonPropertyName("lastMessageId")] string? LastMessageId);

public sealed record ErrorDto(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message)
{
    [JsonPropertyName("messageId")] public string? MessageId { get; init; }
    [JsonPropertyName("queueSize")] public int? QueueSize { get; init; }
    [JsonPropertyName("maxCapacity")] public int? MaxCapacity { get; init; }
    [JsonPropertyName("retryAfterMs")] public int? RetryAfterMs { get; init; }
}

public sealed record AgentStateDto(
    [property: JsonPropertyName("userId")] string UserId,
    [property: JsonPropertyName("agentId")] string AgentId,
    [property: JsonPropertyName("messageCount")] int MessageCount,
    [property: JsonPropertyName("lastSequenceId")] long LastSequenceId,
    [property: JsonPropertyName("lastMessageId")] string? LastMessageId,
    [property: JsonPropertyName("corrupted")] bool Corrupted,
    [property: JsonPropertyName("memoryRss")] long MemoryRss,
    [property: JsonPropertyName("timestamp")] double Timestamp);

public sealed record QueueStateDto(
    [property: JsonPropertyName("queueSize")] int QueueSize,
    [property: JsonPropertyName("maxCapacity")] int MaxCapacity,
    [property: JsonPropertyName("processedTotal")] long ProcessedTotal,
    [property: JsonPropertyName("rejectedTotal")] long RejectedTotal,
    [property: JsonPropertyName("timestamp")] double Timestamp);

/// <summary>
/// The hub at /hub/chat. ASP.NET Core runs one client's invocations one at a time, so SendMessage
/// only enqueues (ChatBackend's workers answer later through IHubContext) and returns at once.
/// </summary>
public sealed class ChatHub(ChatBackend backend) : Hub
{
    private const string UserKey = "user";

    public override async Task OnConnectedAsync()
    {
        var user = IdentifyUser(Context.GetHttpContext());
        Context.Items[UserKey] = user;
        backend.Connected();
        await Groups.AddToGroupAsync(Context.ConnectionId, ChatBackend.GroupOf(user));
        await base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        backend.Disconnected();
        return base.OnDisconnectedAsync(exception);
    }

    public Task SendMessage(UserMessageDto? message) => backend.SendMessageAsync(UserId, Context.ConnectionId, message);

    public Task CancelMessage(string? messageId) => backend.CancelAsync(UserId, Context.ConnectionId, messageId);

    public AgentStateDto GetAgentState(string? agentId) => backend.AgentState(UserId, agentId);

    public QueueStateDto GetQueueState(string? agentId) => backend.QueueState(UserId, agentId);

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "SignalR maps instance methods only")]
    public string Ping() => "pong";

    private string UserId => (string)Context.Items[UserKey]!;

    /// <summary>
    /// The subject of a JWT in ?access_token= (what SignalR clients send on WebSockets) or in
    /// Authorization: Bearer (no signature check: a test backend); else ?user_id=; else "anonymous".
    /// </summary>
    private static string IdentifyUser(HttpContext? http)
    {
        if (http is null) { return "anonymous"; }
        string? token = http.Request.Query["access_token"];
        var auth = http.Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(token) && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            token = auth["Bearer ".Length..].Trim();
        }
        if (!string.IsNullOrEmpty(token) && SubjectOf(token) is { Length: > 0 } sub) { return sub; }
        string? userId = http.Request.Query["user_id"];
        return string.IsNullOrEmpty(userId) ? "anonymous" : userId;
    }

    private static string? SubjectOf(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3) { return null; }
        try
        {
            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload += new string('=', (4 - (payload.Length % 4)) % 4);
            using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("sub", out var sub) && sub.ValueKind == JsonValueKind.String
                ? sub.GetString()
                : null;
        }
        catch (FormatException) { return null; }
        catch (JsonException) { return null; }
    }
}
