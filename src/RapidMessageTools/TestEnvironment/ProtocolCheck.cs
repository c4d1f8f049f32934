using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using RapidMessageTools.Client;
using RapidMessageTools.Logging;
using RapidMessageTools.Protocol;
using RapidMessageTools.Protocol.Profiles;

namespace RapidMessageTools.TestEnvironment;

/// <summary>One canonical message as a profile maps it and, when a backend was tried, as its real frames showed it.</summary>
public sealed class RapidProtocolMessageCheck
{
    public RapidProtocolMessageCheck(string message, string direction, string? wireType, string[] mappedFields, string status, long sent, long received, string? problem)
    {
        Message = message;
        Direction = direction;
        WireType = wireType;
        MappedFields = mappedFields;
        Status = status;
        Sent = sent;
        Received = received;
        Problem = problem;
    }

    /// <summary>The canonical message (user_message, ai_response…).</summary>
    public string Message { get; }

    /// <summary>ClientToServer or ServerToClient.</summary>
    public string Direction { get; }

    /// <summary>Its wire type; empty for a message read from an invocation's answer.</summary>
    public string? WireType { get; }

    /// <summary>"content=payload.text", one per field the profile names.</summary>
    public string[] MappedFields { get; }

    /// <summary>
    /// Unsupported; Mapped (the profile alone was checked); against a backend: Matched (frames of it arrived
    /// and every path found what it should), Mismatch, Sent (client message the backend took), NotSeen.
    /// </summary>
    public string Status { get; }

    public long Sent { get; }

    public long Received { get; }

    /// <summary>What did not match, with the profile key; null when nothing.</summary>
    public string? Problem { get; }

    public override string ToString() => $"{Message}: {Status}";
}

/// <summary>What Test-RapidProtocol found: the profile checked, and (with a URL) which mappings matched real frames.</summary>
public sealed class RapidProtocolCheck
{
    public RapidProtocolCheck(string profile, string transport, string source, string? url, bool matched, RapidProtocolMessageCheck[] messages, IReadOnlyDictionary<string, long> unmappedFrames, string[] mismatches, string reason)
    {
        Profile = profile;
        Transport = transport;
        Source = source;
        Url = url;
        Matched = matched;
        Messages = messages;
        UnmappedFrames = unmappedFrames.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        Mismatches = mismatches;
        Reason = reason;
    }

    public string Profile { get; }

    public string Transport { get; }

    public string Source { get; }

    /// <summary>The backend tried; null when only the profile was checked.</summary>
    public string? Url { get; }

    /// <summary>True when the profile is valid and, against a backend, every frame that arrived matched it and every message tried was answered.</summary>
    public bool Matched { get; }

    public RapidProtocolMessageCheck[] Messages { get; }

    /// <summary>Frames of wire types the profile does not map, by type (welcome, presence, typing...).</summary>
    public Dictionary<string, long> UnmappedFrames { get; }

    /// <summary>Each mismatch: the profile key, the problem, the count and the first frame.</summary>
    public string[] Mismatches { get; }

    public string Reason { get; }

    public override string ToString() => Reason;
}

/// <summary>
/// Checks a profile against a backend: one connection, one message of each kind the profile supports
/// (a user_message, the state queries, a ping, a cancel of an unknown id to provoke an error), then which
/// mappings real frames matched. Without a URL it describes the profile only.
/// </summary>
public static class ProtocolCheck
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    public static RapidProtocolCheck Describe(ProtocolProfile profile) =>
        Build(profile, null, null, null, new Dictionary<string, long>());

    public static async Task<RapidProtocolCheck> RunAsync(ProtocolProfile profile, ConnectionOptions options, IRunLog? log, CancellationToken cancellationToken)
    {
        if (profile is null || options is null)
        {
            throw new ArgumentNullException(profile is null ? nameof(profile) : nameof(options));
        }

        var observations = new ProtocolObservations();
        options.Profile = profile;
        options.Observations = observations;
        var sent = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var received = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var replied = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var messageId = "check-" + Guid.NewGuid().ToString("N").Substring(0, 8);
        using var connection = await RapidConnection.ConnectAsync(options, log, cancellationToken).ConfigureAwait(false);
        connection.FrameReceived = f =>
        {
            received.AddOrUpdate(f.Frame.Type ?? "(none)", 1, (_, n) => n + 1);
            if (f.Frame.Type is MessageType.AiResponse)
            {
                replied.TrySetResult(true);
            }
        };

        async Task Try(string type, Func<Task> send)
        {
            if (!profile.Supports(type))
            {
                return;
            }

            try
            {
                await send().ConfigureAwait(false);
                sent.AddOrUpdate(type, 1, (_, n) => n + 1);
            }
            catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
            {
                sent.AddOrUpdate(type, 1, (_, n) => n + 1);
                log?.Verbose($"{type}: {ex.Message}");
            }
        }

        await Try(MessageType.UserMessage, () => connection.SendUserMessageAsync(messageId, 1, "protocol check", "protocol-check", cancellationToken)).ConfigureAwait(false);
        if (profile.Supports(MessageType.UserMessage))
        {
            await Task.WhenAny(replied.Task, Task.Delay(Wait, cancellationToken)).ConfigureAwait(false);
        }

        await Try(MessageType.GetAgentState, () => connection.QueryAgentStateAsync("protocol-check", Wait, cancellationToken)).ConfigureAwait(false);
        await Try(MessageType.GetQueueState, () => connection.QueryQueueStateAsync("protocol-check", Wait, cancellationToken)).ConfigureAwait(false);
        await Try(MessageType.Ping, () => connection.PingAsync(Wait, cancellationToken)).ConfigureAwait(false);
        await Try(MessageType.Cancel, () => connection.SendCancelAsync(messageId + "-unknown", cancellationToken)).ConfigureAwait(false);

        // The error the cancel of an unknown id provokes, and any stragglers.
        await Task.Delay(TimeSpan.FromMilliseconds(300), cancellationToken).ConfigureAwait(false);
        await connection.CloseAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        return Build(profile, ConnectionOptions.Redact(options.Url), sent, received, observations.UnmappedFrames(), observations.Mismatches());
    }

    private static RapidProtocolCheck Build(ProtocolProfile profile, string? url, IDictionary<string, long>? sent, IDictionary<string, long>? received, IReadOnlyDictionary<string, long> unmapped, IReadOnlyList<ProtocolMismatch>? mismatches = null)
    {
        mismatches ??= [];
        var rows = new List<RapidProtocolMessageCheck>();
        foreach (var message in CanonicalMessages.All)
        {
            var mapping = profile.ForCanonical(message.Type);
            var fields = mapping is null
                ? []
                : mapping.Fields.Where(f => f.Value.Text != f.Key).Select(f => f.Key + "=" + f.Value.Text).ToArray();
            var s = sent is not null && sent.TryGetValue(message.Type, out var a) ? a : 0;
            var r = received is not null && received.TryGetValue(message.Type, out var b) ? b : 0;
            var problems = mismatches.Where(m => m.Key.StartsWith("Messages." + message.Type + ".", StringComparison.Ordinal)).ToList();
            string status;
            if (mapping is null)
            {
                status = "Unsupported";
            }
            else if (url is null)
            {
                status = "Mapped";
            }
            else if (problems.Count > 0)
            {
                status = "Mismatch";
            }
            else if (r > 0)
            {
                status = "Matched";
            }
            else
            {
                status = message.FromClient && s > 0 ? "Sent" : "NotSeen";
            }

            rows.Add(new RapidProtocolMessageCheck(message.Type, message.FromClient ? "ClientToServer" : "ServerToClient", mapping?.WireType, fields, status, s, r,
                problems.Count == 0 ? null : string.Join("; ", problems.Select(p => p.ToString()))));
        }

        var texts = mismatches.Select(m => m + (m.Samples.Length > 0 ? " (first: " + m.Samples[0] + ")" : string.Empty)).ToArray();
        var unanswered = url is not null && sent is not null && sent.ContainsKey(MessageType.UserMessage) && (received is null || !received.ContainsKey(MessageType.AiResponse));
        var matched = texts.Length == 0 && !unanswered;
        string reason;
        if (url is null)
        {
            reason = string.Format(CultureInfo.InvariantCulture, "Profile {0} ({1}) is valid: {2} messages mapped, {3} unsupported.", profile.Name, profile.Transport, rows.Count(x => x.Status == "Mapped"), rows.Count(x => x.Status == "Unsupported"));
        }
        else if (matched)
        {
            reason = string.Format(CultureInfo.InvariantCulture, "Profile {0} matched {1}: {2}.", profile.Name, url, string.Join(", ", rows.Where(x => x.Status == "Matched").Select(x => x.Message)));
        }
        else
        {
            reason = string.Format(CultureInfo.InvariantCulture, "Profile {0} does not match {1}: {2}", profile.Name, url,
                texts.Length > 0 ? string.Join("; ", mismatches.Select(m => m.ToString())) : "the user_message got no ai_response the profile could read (check the ai_response Type and the TypeField).");
            if (unmapped.Count > 0)
            {
                reason += " Frames of unmapped wire types arrived: " + string.Join(", ", unmapped.Select(p => p.Key + " x" + p.Value.ToString(CultureInfo.InvariantCulture))) + ".";
            }
        }

        return new RapidProtocolCheck(profile.Name, profile.Transport.ToString(), profile.Source, url, matched, rows.ToArray(), unmapped, texts, reason);
    }
}
