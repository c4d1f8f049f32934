using System;
using System.Buffers;

namespace RapidMessageTools.Protocol;

/// <summary>
/// The receive buffers of one socket: a small one owned for the connection's whole life, which takes the
/// first read of every message (a chat frame fits it whole), and a large one rented from the shared pool
/// only while the rest of a longer message is read, then given back. An idle connection so holds
/// <see cref="SmallSize"/> bytes rather than a 16 KiB buffer (a longer frame costs one more read), which matters at 10,000 connections.
/// </summary>
internal sealed class ReceiveBuffer : IDisposable
{
    public const int SmallSize = 512;

    public const int LargeSize = 16 * 1024;

    private readonly byte[] _small = new byte[SmallSize];
    private byte[]? _large;

    /// <summary>The buffer for the next read: the small one at the start of a message, the large one inside a longer message.</summary>
    public byte[] For(bool insideMessage) => insideMessage ? _large ??= ArrayPool<byte>.Shared.Rent(LargeSize) : _small;

    /// <summary>A message ended (its bytes were used): gives the large buffer back.</summary>
    public void MessageDone()
    {
        var large = _large;
        if (large is not null)
        {
            _large = null;
            ArrayPool<byte>.Shared.Return(large);
        }
    }

    public void Dispose() => MessageDone();
}
