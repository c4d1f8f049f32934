using System;

namespace RapidMessageTools.MockServer;

/// <summary>How a mock backend behaves. Durations are seconds.</summary>
public sealed class MockServerOptions
{
    public const int DefaultQueueCapacity = 500;
    public const int DefaultIdempotencyWindow = 10_000;
    public const int DefaultMaxMessageBytes = 1024 * 1024;
    public const long DefaultIdempotencyWindowBytes = 256L * 1024 * 1024;

    /// <summary>TCP port; 0 takes a free one.</summary>
    public int Port { get; set; }

    /// <summary>Address to bind. Loopback unless said otherwise.</summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>Seconds each agent takes per message before replying.</summary>
    public double ResponseDelay { get; set; }

    /// <summary>Up to this many seconds more, drawn per message.</summary>
    public double ResponseJitter { get; set; }

    /// <summary>Streams every reply as this many ai_response_chunk frames before its final ai_response; 0 = no streaming.</summary>
    public int StreamChunks { get; set; }

    /// <summary>Seconds between two chunks of a streamed reply (the response delay comes before the first).</summary>
    public double ChunkInterval { get; set; }

    /// <summary>Messages a (user, agent) queue holds, the one being processed included.</summary>
    public int QueueCapacity { get; set; } = DefaultQueueCapacity;

    /// <summary>Message ids remembered per user for idempotency.</summary>
    public int IdempotencyWindow { get; set; } = DefaultIdempotencyWindow;

    /// <summary>
    /// Memory the remembered ids and contents of one user may take. Beyond it the oldest are forgotten even
    /// inside <see cref="IdempotencyWindow"/>, so large messages cannot exhaust memory (10,000 of 1 MiB would
    /// take 20 GB); messages under about 26 KB on average never reach it.
    /// </summary>
    public long IdempotencyWindowBytes { get; set; } = DefaultIdempotencyWindowBytes;

    /// <summary>Largest frame accepted; larger ones close the connection with 1009.</summary>
    public int MaxMessageBytes { get; set; } = DefaultMaxMessageBytes;

    /// <summary>Refuse WebSocket upgrades without a valid HS256 token with 401.</summary>
    public bool RequireAuth { get; set; }

    /// <summary>Lifetime of tokens from /auth/test-user, seconds.</summary>
    public double TokenLifetime { get; set; } = 3600;

    /// <summary>Bytes a connection may have waiting to be sent before it counts as a client that stopped reading and is closed.</summary>
    public int MaxPendingSendBytes { get; set; } = 64 * 1024 * 1024;

    public MockFaultSettings Fault { get; set; } = new();

    /// <summary>The protocol the mock speaks: the built-in one, or a profile (JSON, or SignalR with its hub at /hub).</summary>
    public RapidMessageTools.Protocol.Profiles.ProtocolProfile Profile { get; set; } = RapidMessageTools.Protocol.Profiles.ProtocolProfile.Rapid;

    /// <summary>True when <see cref="ListenAddress"/> is a loopback address.</summary>
    public bool IsLoopback =>
        ListenAddress is "127.0.0.1" or "localhost" or "::1" or "[::1]" ||
        (System.Net.IPAddress.TryParse(ListenAddress, out var ip) && System.Net.IPAddress.IsLoopback(ip));

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range and what to use.</summary>
    public void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentException($"Port must be 0 (any free port) or 1-65535, not {Port}.");
        }

        if (string.IsNullOrWhiteSpace(ListenAddress))
        {
            throw new ArgumentException("ListenAddress must be an IP address or host name, such as 127.0.0.1.");
        }

        if (System.Text.RegularExpressions.Regex.IsMatch(ListenAddress, @"^[0-9.]+$") && !System.Net.IPAddress.TryParse(ListenAddress, out _))
        {
            throw new ArgumentException($"ListenAddress '{ListenAddress}' is not a valid IPv4 address: use 127.0.0.1 (loopback), 0.0.0.0 (every interface) or an address of this machine.");
        }

        if (Environment.OSVersion.Platform != PlatformID.Win32NT &&
            System.Net.IPAddress.TryParse(ListenAddress.Trim('[', ']'), out var ip) &&
            ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 &&
            !ip.Equals(System.Net.IPAddress.IPv6Any))
        {
            // The managed HttpListener (Linux, macOS) rejects IPv6 literal prefixes (dotnet/runtime#34399).
            throw new ArgumentException($"ListenAddress {ListenAddress}: the mock cannot listen on an IPv6 address on this platform (.NET's HttpListener outside Windows does not support it); use 127.0.0.1 or localhost.");
        }

        if (double.IsNaN(ResponseDelay) || ResponseDelay < 0 || ResponseDelay > 3600)
        {
            throw new ArgumentException(FormattableString.Invariant($"ResponseDelay is seconds between 0 and 3600, not {ResponseDelay}."));
        }

        if (double.IsNaN(ResponseJitter) || ResponseJitter < 0 || ResponseJitter > 3600)
        {
            throw new ArgumentException(FormattableString.Invariant($"ResponseJitter is seconds between 0 and 3600, not {ResponseJitter}."));
        }

        if (StreamChunks is < 0 or > 100_000)
        {
            throw new ArgumentException($"StreamChunks is a number of chunks per reply between 0 (no streaming) and 100000, not {StreamChunks}.");
        }

        if (double.IsNaN(ChunkInterval) || ChunkInterval < 0 || ChunkInterval > 60)
        {
            throw new ArgumentException(FormattableString.Invariant($"ChunkInterval is seconds between 0 and 60, not {ChunkInterval}."));
        }

        if (StreamChunks == 0 && Fault.AnyStreamFault)
        {
            throw new ArgumentException($"The stream faults ({Fault}) need streamed replies: add -StreamChunks (for example -StreamChunks 5).");
        }

        if (QueueCapacity < 1)
        {
            throw new ArgumentException($"QueueCapacity must be at least 1, not {QueueCapacity}.");
        }

        if (IdempotencyWindow < 10_000)
        {
            throw new ArgumentException($"IdempotencyWindow must be at least 10000 message ids (the protocol promises that many per user), not {IdempotencyWindow}.");
        }

        if (IdempotencyWindowBytes < 1024 * 1024)
        {
            throw new ArgumentException($"IdempotencyWindowBytes must be at least 1048576 (1 MiB), not {IdempotencyWindowBytes}.");
        }

        if (MaxMessageBytes < 256)
        {
            throw new ArgumentException($"MaxMessageBytes must be at least 256, not {MaxMessageBytes}.");
        }

        if (MaxPendingSendBytes < 64 * 1024)
        {
            throw new ArgumentException($"MaxPendingSendBytes must be at least 65536, not {MaxPendingSendBytes}.");
        }

        Fault.Validate();
    }

    public MockServerOptions Clone()
    {
        var copy = (MockServerOptions)MemberwiseClone();
        copy.Fault = Fault.Clone();
        return copy;
    }
}
