using System;
using System.Text.Json;

namespace RapidMessageTools.Protocol;

/// <summary>Writes each protocol message as one JSON object. Callers own the writer and reuse it.</summary>
public static class FrameWriter
{
    private static readonly JsonEncodedText Type = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText MessageId = JsonEncodedText.Encode("message_id");
    private static readonly JsonEncodedText SequenceId = JsonEncodedText.Encode("sequence_id");
    private static readonly JsonEncodedText Content = JsonEncodedText.Encode("content");
    private static readonly JsonEncodedText AgentId = JsonEncodedText.Encode("agent_id");
    private static readonly JsonEncodedText RequestId = JsonEncodedText.Encode("request_id");
    private static readonly JsonEncodedText UserId = JsonEncodedText.Encode("user_id");
    private static readonly JsonEncodedText Timestamp = JsonEncodedText.Encode("timestamp");
    private static readonly JsonEncodedText Duplicate = JsonEncodedText.Encode("duplicate");
    private static readonly JsonEncodedText ChunkIndex = JsonEncodedText.Encode("chunk_index");
    private static readonly JsonEncodedText ChunkCount = JsonEncodedText.Encode("chunk_count");
    private static readonly JsonEncodedText Cancelled = JsonEncodedText.Encode("cancelled");
    private static readonly JsonEncodedText MessageCount = JsonEncodedText.Encode("message_count");
    private static readonly JsonEncodedText LastSequenceId = JsonEncodedText.Encode("last_sequence_id");
    private static readonly JsonEncodedText LastMessageId = JsonEncodedText.Encode("last_message_id");
    private static readonly JsonEncodedText ConversationContext = JsonEncodedText.Encode("conversation_context");
    private static readonly JsonEncodedText MemoryUsage = JsonEncodedText.Encode("memory_usage");
    private static readonly JsonEncodedText Rss = JsonEncodedText.Encode("rss");
    private static readonly JsonEncodedText Corrupted = JsonEncodedText.Encode("corrupted");
    private static readonly JsonEncodedText QueueSize = JsonEncodedText.Encode("queue_size");
    private static readonly JsonEncodedText MaxCapacity = JsonEncodedText.Encode("max_capacity");
    private static readonly JsonEncodedText ProcessedTotal = JsonEncodedText.Encode("processed_total");
    private static readonly JsonEncodedText RejectedTotal = JsonEncodedText.Encode("rejected_total");
    private static readonly JsonEncodedText Code = JsonEncodedText.Encode("code");
    private static readonly JsonEncodedText Message = JsonEncodedText.Encode("message");
    private static readonly JsonEncodedText RetryAfterMs = JsonEncodedText.Encode("retry_after_ms");
    private static readonly JsonEncodedText Topic = JsonEncodedText.Encode("topic");
    private static readonly JsonEncodedText Turns = JsonEncodedText.Encode("turns");
    private static readonly JsonEncodedText LastContent = JsonEncodedText.Encode("last_content");

    private static readonly JsonEncodedText UserMessageType = JsonEncodedText.Encode(MessageType.UserMessage);
    private static readonly JsonEncodedText GetAgentStateType = JsonEncodedText.Encode(MessageType.GetAgentState);
    private static readonly JsonEncodedText GetQueueStateType = JsonEncodedText.Encode(MessageType.GetQueueState);
    private static readonly JsonEncodedText PingType = JsonEncodedText.Encode(MessageType.Ping);
    private static readonly JsonEncodedText AiResponseType = JsonEncodedText.Encode(MessageType.AiResponse);
    private static readonly JsonEncodedText AiResponseChunkType = JsonEncodedText.Encode(MessageType.AiResponseChunk);
    private static readonly JsonEncodedText CancelType = JsonEncodedText.Encode(MessageType.Cancel);
    private static readonly JsonEncodedText AgentStateType = JsonEncodedText.Encode(MessageType.AgentState);
    private static readonly JsonEncodedText QueueStateType = JsonEncodedText.Encode(MessageType.QueueState);
    private static readonly JsonEncodedText StateUpdateType = JsonEncodedText.Encode(MessageType.StateUpdate);
    private static readonly JsonEncodedText ErrorType = JsonEncodedText.Encode(MessageType.Error);
    private static readonly JsonEncodedText PongType = JsonEncodedText.Encode(MessageType.Pong);

    /// <summary>The prefix the mock puts before the user's content in every <c>ai_response</c>.</summary>
    public const string ResponsePrefix = "AI response to: ";

    public static void WriteUserMessage(Utf8JsonWriter w, string messageId, long sequenceId, string content, string? agentId)
    {
        w.WriteStartObject();
        w.WriteString(Type, UserMessageType);
        w.WriteString(MessageId, messageId);
        w.WriteNumber(SequenceId, sequenceId);
        w.WriteString(Content, content);
        if (agentId is not null)
        {
            w.WriteString(AgentId, agentId);
        }

        w.WriteEndObject();
        w.Flush();
    }

    public static void WriteGetAgentState(Utf8JsonWriter w, string? requestId, string? agentId) =>
        WriteQuery(w, GetAgentStateType, requestId, agentId);

    public static void WriteGetQueueState(Utf8JsonWriter w, string? requestId, string? agentId) =>
        WriteQuery(w, GetQueueStateType, requestId, agentId);

    public static void WritePing(Utf8JsonWriter w, string? requestId) => WriteQuery(w, PingType, requestId, null);

    public static void WritePong(Utf8JsonWriter w, string? requestId) => WriteQuery(w, PongType, requestId, null);

    public static void WriteAiResponse(Utf8JsonWriter w, string messageId, long sequenceId, string agentId, string content, double timestamp, bool duplicate)
    {
        w.WriteStartObject();
        w.WriteString(Type, AiResponseType);
        w.WriteString(MessageId, messageId);
        w.WriteNumber(SequenceId, sequenceId);
        w.WriteString(AgentId, agentId);
        w.WriteString(Content, content);
        w.WriteNumber(Timestamp, timestamp);
        if (duplicate)
        {
            w.WriteBoolean(Duplicate, true);
        }

        w.WriteEndObject();
        w.Flush();
    }

    /// <summary>Writes <c>ai_response</c> content as <see cref="ResponsePrefix"/> + the user's content, without concatenating strings.</summary>
    public static void WriteAiResponse(Utf8JsonWriter w, string messageId, long sequenceId, string agentId, ReadOnlySpan<char> userContent, double timestamp, bool duplicate)
    {
        w.WriteStartObject();
        w.WriteString(Type, AiResponseType);
        w.WriteString(MessageId, messageId);
        w.WriteNumber(SequenceId, sequenceId);
        w.WriteString(AgentId, agentId);
        var total = ResponsePrefix.Length + userContent.Length;
        if (total <= 512)
        {
            Span<char> buffer = stackalloc char[total];
            ResponsePrefix.AsSpan().CopyTo(buffer);
            userContent.CopyTo(buffer.Slice(ResponsePrefix.Length));
            w.WriteString(Content, buffer);
        }
        else
        {
            w.WriteString(Content, ResponsePrefix + userContent.ToString());
        }

        w.WriteNumber(Timestamp, timestamp);
        if (duplicate)
        {
            w.WriteBoolean(Duplicate, true);
        }

        w.WriteEndObject();
        w.Flush();
    }

    /// <summary>Writes one <c>ai_response_chunk</c>: this chunk's text and its index (0, 1, 2, ... in the message's stream).</summary>
    public static void WriteAiResponseChunk(Utf8JsonWriter w, string messageId, long sequenceId, string agentId, ReadOnlySpan<char> content, int chunkIndex)
    {
        w.WriteStartObject();
        w.WriteString(Type, AiResponseChunkType);
        w.WriteString(MessageId, messageId);
        w.WriteNumber(SequenceId, sequenceId);
        w.WriteString(AgentId, agentId);
        w.WriteNumber(ChunkIndex, chunkIndex);
        w.WriteString(Content, content);
        w.WriteEndObject();
        w.Flush();
    }

    /// <summary>
    /// Writes the final <c>ai_response</c> of a streamed reply: <paramref name="content"/> as given (the chunks'
    /// contents joined), <c>chunk_count</c> unless <paramref name="chunkCount"/> is negative, and
    /// <c>cancelled: true</c> when the stream ended on the client's cancel.
    /// </summary>
    public static void WriteFinalAiResponse(Utf8JsonWriter w, string messageId, long sequenceId, string agentId, ReadOnlySpan<char> content, double timestamp, bool duplicate, int chunkCount, bool cancelled)
    {
        w.WriteStartObject();
        w.WriteString(Type, AiResponseType);
        w.WriteString(MessageId, messageId);
        w.WriteNumber(SequenceId, sequenceId);
        w.WriteString(AgentId, agentId);
        w.WriteString(Content, content);
        w.WriteNumber(Timestamp, timestamp);
        if (chunkCount >= 0)
        {
            w.WriteNumber(ChunkCount, chunkCount);
        }

        if (cancelled)
        {
            w.WriteBoolean(Cancelled, true);
        }

        if (duplicate)
        {
            w.WriteBoolean(Duplicate, true);
        }

        w.WriteEndObject();
        w.Flush();
    }

    /// <summary>Writes <c>cancel</c>: stop streaming this message's reply (or drop it from the queue).</summary>
    public static void WriteCancel(Utf8JsonWriter w, string messageId)
    {
        w.WriteStartObject();
        w.WriteString(Type, CancelType);
        w.WriteString(MessageId, messageId);
        w.WriteEndObject();
        w.Flush();
    }

    public static void WriteAgentState(Utf8JsonWriter w, AgentStateSnapshot s, string? requestId)
    {
        w.WriteStartObject();
        w.WriteString(Type, AgentStateType);
        if (requestId is not null)
        {
            w.WriteString(RequestId, requestId);
        }

        w.WriteString(UserId, s.UserId);
        w.WriteString(AgentId, s.AgentId);
        w.WriteNumber(MessageCount, s.MessageCount);
        w.WriteNumber(LastSequenceId, s.LastSequenceId);
        if (s.LastMessageId is null)
        {
            w.WriteNull(LastMessageId);
        }
        else
        {
            w.WriteString(LastMessageId, s.LastMessageId);
        }

        w.WriteStartObject(ConversationContext);
        w.WriteString(Topic, s.Topic);
        w.WriteNumber(Turns, s.MessageCount);
        if (s.LastContent is null)
        {
            w.WriteNull(LastContent);
        }
        else
        {
            w.WriteString(LastContent, s.LastContent);
        }

        w.WriteEndObject();
        w.WriteStartObject(MemoryUsage);
        w.WriteNumber(Rss, s.MemoryRss);
        w.WriteEndObject();
        w.WriteBoolean(Corrupted, s.Corrupted);
        w.WriteNumber(Timestamp, s.Timestamp);
        w.WriteEndObject();
        w.Flush();
    }

    public static void WriteQueueState(Utf8JsonWriter w, string? requestId, string? agentId, long queueSize, long maxCapacity, long processedTotal, long rejectedTotal, double timestamp)
    {
        w.WriteStartObject();
        w.WriteString(Type, QueueStateType);
        if (requestId is not null)
        {
            w.WriteString(RequestId, requestId);
        }

        if (agentId is not null)
        {
            w.WriteString(AgentId, agentId);
        }

        w.WriteNumber(QueueSize, queueSize);
        w.WriteNumber(MaxCapacity, maxCapacity);
        w.WriteNumber(ProcessedTotal, processedTotal);
        w.WriteNumber(RejectedTotal, rejectedTotal);
        w.WriteNumber(Timestamp, timestamp);
        w.WriteEndObject();
        w.Flush();
    }

    public static void WriteStateUpdate(Utf8JsonWriter w, string userId, string agentId, long messageCount, string? lastMessageId)
    {
        w.WriteStartObject();
        w.WriteString(Type, StateUpdateType);
        w.WriteString(UserId, userId);
        w.WriteString(AgentId, agentId);
        w.WriteNumber(MessageCount, messageCount);
        if (lastMessageId is null)
        {
            w.WriteNull(LastMessageId);
        }
        else
        {
            w.WriteString(LastMessageId, lastMessageId);
        }

        w.WriteEndObject();
        w.Flush();
    }

    public static void WriteError(Utf8JsonWriter w, string code, string message, string? messageId, string? requestId = null)
    {
        w.WriteStartObject();
        w.WriteString(Type, ErrorType);
        w.WriteString(Code, code);
        w.WriteString(Message, message);
        if (messageId is not null)
        {
            w.WriteString(MessageId, messageId);
        }

        if (requestId is not null)
        {
            w.WriteString(RequestId, requestId);
        }

        w.WriteEndObject();
        w.Flush();
    }

    public static void WriteQueueFull(Utf8JsonWriter w, string messageId, long queueSize, long maxCapacity, long retryAfterMs)
    {
        w.WriteStartObject();
        w.WriteString(Type, ErrorType);
        w.WriteString(Code, ErrorCode.QueueFull);
        w.WriteString(Message, "The agent's queue is full; retry after retry_after_ms.");
        w.WriteString(MessageId, messageId);
        w.WriteNumber(QueueSize, queueSize);
        w.WriteNumber(MaxCapacity, maxCapacity);
        w.WriteNumber(RetryAfterMs, retryAfterMs);
        w.WriteEndObject();
        w.Flush();
    }

    private static void WriteQuery(Utf8JsonWriter w, JsonEncodedText type, string? requestId, string? agentId)
    {
        w.WriteStartObject();
        w.WriteString(Type, type);
        if (requestId is not null)
        {
            w.WriteString(RequestId, requestId);
        }

        if (agentId is not null)
        {
            w.WriteString(AgentId, agentId);
        }

        w.WriteEndObject();
        w.Flush();
    }
}

/// <summary>The values an <c>agent_state</c> frame carries.</summary>
public readonly record struct AgentStateSnapshot(
    string UserId,
    string AgentId,
    long MessageCount,
    long LastSequenceId,
    string? LastMessageId,
    string Topic,
    string? LastContent,
    long MemoryRss,
    bool Corrupted,
    double Timestamp);
