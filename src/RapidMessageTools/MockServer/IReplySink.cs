using System;

namespace RapidMessageTools.MockServer;

/// <summary>Where the backend's frames for one connection go. Implemented by the WebSocket connection; tests can supply their own.</summary>
internal interface IReplySink
{
    long Id { get; }

    /// <summary>Queues one complete JSON frame; its bytes are copied, so the caller may reuse its buffer. Never blocks.</summary>
    void Send(ReadOnlySpan<byte> frame);

    /// <summary>Drops the connection without a close handshake (the DisconnectAfter fault).</summary>
    void Abort();
}
