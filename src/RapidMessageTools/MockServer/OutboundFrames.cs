using System;
using System.Buffers;

namespace RapidMessageTools.MockServer;

/// <summary>
/// Frames waiting to go out on one connection, end to end in one pooled buffer with their lengths beside them.
/// Queuing a frame copies its bytes, so the backend writes every frame into a reused per-thread buffer and no
/// frame needs an array of its own; an idle connection holds no buffer at all (<see cref="Release"/>).
/// Not thread-safe: the connection guards the batch it fills with a lock and owns the one it sends.
/// </summary>
internal sealed class OutboundFrames
{
    private byte[]? _bytes;
    private int[]? _lengths;
    private int _used;

    public int Count { get; private set; }

    public byte[] Bytes => _bytes ?? [];

    public int Length(int index) => _lengths![index];

    public void Add(ReadOnlySpan<byte> frame)
    {
        if (_bytes is null || _bytes.Length - _used < frame.Length)
        {
            _bytes = Grow(_bytes, _used, _used + frame.Length, 1024);
        }

        if (_lengths is null || _lengths.Length == Count)
        {
            _lengths = Grow(_lengths, Count, Count + 1, 16);
        }

        frame.CopyTo(_bytes.AsSpan(_used));
        _used += frame.Length;
        _lengths[Count++] = frame.Length;
    }

    /// <summary>Empties the batch and keeps its buffers, for the next batch of a busy connection.</summary>
    public void Clear()
    {
        _used = 0;
        Count = 0;
    }

    /// <summary>Empties the batch and gives its buffers back to the pool (the connection went idle).</summary>
    public void Release()
    {
        Clear();
        if (_bytes is not null)
        {
            ArrayPool<byte>.Shared.Return(_bytes);
            _bytes = null;
        }

        if (_lengths is not null)
        {
            ArrayPool<int>.Shared.Return(_lengths);
            _lengths = null;
        }
    }

    private static T[] Grow<T>(T[]? old, int used, int needed, int minimum)
    {
        var next = ArrayPool<T>.Shared.Rent(Math.Max(minimum, Math.Max(needed, (old?.Length ?? 0) * 2)));
        if (old is not null)
        {
            Array.Copy(old, next, used);
            ArrayPool<T>.Shared.Return(old);
        }

        return next;
    }
}
