using System;
using System.Text.Json;
using RapidMessageTools.Buffers;

namespace RapidMessageTools.MockServer;

/// <summary>A per-thread JSON writer over a reused buffer: write a frame, take its bytes.</summary>
internal sealed class FrameBuffer
{
    [ThreadStatic]
    private static FrameBuffer? _current;

    private readonly PooledBufferWriter _buffer = new(1024);

    private FrameBuffer() => Writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    public Utf8JsonWriter Writer { get; }

    /// <summary>The calling thread's buffer, emptied.</summary>
    public static FrameBuffer Start()
    {
        var b = _current ??= new FrameBuffer();
        b._buffer.Clear();
        b.Writer.Reset(b._buffer);
        return b;
    }

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    /// <summary>The frame's bytes, valid until the calling thread starts its next frame.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;
}
