using System;
using System.Buffers;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace RapidMessageTools.MockServer;

/// <summary>
/// The connection's stream under its WebSocket, reading and writing in batches. The WebSocket reads a frame's
/// header, then its payload, each from the stream: here those reads are served from one read of the socket of up
/// to 16 KB (a busy connection's many frames), which is rented only while it holds unread bytes, and an empty
/// buffer waits for data with a zero-byte read, so an idle connection holds no buffer.
/// From a socket read that brought data until the next one is needed (the WebSocket has handled every frame it
/// brought), writes are held; then they go out in one system call and, on loopback, mostly one TCP segment.
/// Per frame, system calls and the kernel's work on their segments cost more than everything else the mock does:
/// perf showed 59 % of the mock's CPU in the kernel with two recvfrom and one sendto per message. A client that
/// waits for each reply sees no delay: its frame is read, answered, and the answer written as the WebSocket reads
/// again.
/// Writes made while no read's frames are being handled (a delayed reply, a stream's chunk, a keep-alive, a
/// close) and held bytes past <see cref="MaxHeldBytes"/> are written at once. One write is on the socket at a time,
/// bytes keep their order, and while one waits (a client that does not read) further writes wait once
/// <see cref="MaxHeldBytes"/> are pending, so a connection's memory stays bounded as it was without this stream.
/// </summary>
internal sealed class BatchingStream : Stream
{
    /// <summary>Bytes held or waiting for the socket beyond which a writer waits (held ones are written out).</summary>
    public const int MaxHeldBytes = 64 * 1024;

    private readonly Stream _inner;
    private readonly object _sync = new();
    // Written, not yet given to the socket: rented while there are any, so an idle connection keeps no buffer.
    private byte[]? _pending;
    private int _pendingCount;
    // The WebSocket is handling the frames of a read: writes are held until it reads again.
    private bool _holding;
    // WriteOutAsync is giving pending bytes to the socket.
    private bool _writing;
    // Writers waiting for the pending bytes to be taken, and flushes waiting for the writing to end.
    private TaskCompletionSource<bool>? _room;
    private TaskCompletionSource<bool>? _idle;
    private Exception? _failed;
    // Read ahead and not yet taken by the WebSocket (which reads a frame's header, then its payload): rented while
    // there are any. Only the WebSocket's one receive at a time touches these.
    private byte[]? _readBuffer;
    private int _readStart;
    private int _readCount;

    public BatchingStream(Stream inner) => _inner = inner;

    /// <summary>Writes to sockets by every batching stream of this process (a probe for tests: fewer than the frames sent).</summary>
    public static long SocketWrites => Interlocked.Read(ref _socketWrites);

    private static long _socketWrites;

    /// <summary>How much one read of the socket takes at most: many frames of a busy connection.</summary>
    private const int ReadBufferBytes = 16 * 1024;

    private static readonly Task<int>?[] CompletedReads = new Task<int>?[ReadBufferBytes + 1];

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        if (_readCount > 0)
        {
            return Completed(Take(buffer, offset, count));
        }

        if (count == 0)
        {
            return _inner.ReadAsync(buffer, offset, count, cancellationToken);
        }

        // The WebSocket has handled all it had: the replies go out before the socket is read again.
        Release();
        // Wait for data without a buffer (an idle connection holds none), then read all there is.
        var ready = _inner.ReadAsync(Array.Empty<byte>(), 0, 0, cancellationToken);
        return ready.Status == TaskStatus.RanToCompletion ? FillAsync(buffer, offset, count, cancellationToken) : ReadWhenReadyAsync(ready, buffer, offset, count, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            if (_failed is not null)
            {
                return Task.FromException(new IOException("The connection failed while writing.", _failed));
            }

            Append(buffer.AsSpan(offset, count));
            if (_writing)
            {
                return _pendingCount > MaxHeldBytes ? (_room ??= NewSignal()).Task : Task.CompletedTask;
            }

            if (_holding && _pendingCount <= MaxHeldBytes)
            {
                return Task.CompletedTask;
            }

            _writing = true;
        }

        return WriteOutAsync();
    }

    /// <summary>
    /// Nothing to do while writes are held (the WebSocket flushes after every frame: the batch would be one frame);
    /// otherwise completes when what is pending is with the socket.
    /// </summary>
    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            if (_holding)
            {
                return Task.CompletedTask;
            }

            return _writing ? (_idle ??= NewSignal()).Task : Task.CompletedTask;
        }
    }

    /// <summary>Stops holding and writes what is pending; completes when the socket has it all (a close goes out so).</summary>
    public Task WriteHeldAsync()
    {
        lock (_sync)
        {
            _holding = false;
            if (_writing)
            {
                return (_idle ??= NewSignal()).Task;
            }

            if (_pendingCount == 0)
            {
                return Task.CompletedTask;
            }

            _writing = true;
        }

        return WriteOutAsync();
    }

    /// <summary>Stops holding and starts writing what is pending, without waiting for it.</summary>
    private void Release()
    {
        lock (_sync)
        {
            _holding = false;
            if (_writing || _pendingCount == 0)
            {
                return;
            }

            _writing = true;
        }

        _ = WriteOutAsync();
    }

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override bool CanRead => _inner.CanRead;

    public override bool CanWrite => _inner.CanWrite;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            byte[]? held = null;
            var count = 0;
            lock (_sync)
            {
                _failed ??= new ObjectDisposedException(nameof(BatchingStream));
                _room?.TrySetResult(true);
                _room = null;
                if (!_writing && _pending is not null)
                {
                    held = _pending;
                    count = _pendingCount;
                    _pending = null;
                    _pendingCount = 0;
                }
            }

            // The WebSocket disposes its stream as soon as both closes are through, its own close maybe still held
            // here: what is held is offered to the socket once, without waiting (a client that does not read must not
            // hold up an abort); what the socket does not take at once is dropped with the connection.
            if (held is not null)
            {
                try
                {
                    var write = _inner.WriteAsync(held, 0, count);
                    if (write.IsCompleted)
                    {
                        ArrayPool<byte>.Shared.Return(held);
                    }
                }
                catch (Exception)
                {
                    // The socket is already gone.
                }
            }

            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private async Task<int> ReadWhenReadyAsync(Task<int> ready, byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        await ready.ConfigureAwait(false);
        return await FillAsync(buffer, offset, count, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads what the socket has into a rented buffer (data is there, so this rarely waits) and serves the caller from it.</summary>
    private Task<int> FillAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        _readBuffer ??= ArrayPool<byte>.Shared.Rent(ReadBufferBytes);
        var read = _inner.ReadAsync(_readBuffer, 0, _readBuffer.Length, cancellationToken);
        return read.Status == TaskStatus.RanToCompletion ? Completed(Filled(read.Result, buffer, offset, count)) : FillWhenReadAsync(read, buffer, offset, count);
    }

    private async Task<int> FillWhenReadAsync(Task<int> read, byte[] buffer, int offset, int count) => Filled(await read.ConfigureAwait(false), buffer, offset, count);

    private int Filled(int read, byte[] buffer, int offset, int count)
    {
        _readStart = 0;
        _readCount = read;
        if (read == 0)
        {
            ReturnReadBuffer();
            return 0;
        }

        lock (_sync)
        {
            _holding = true;
        }

        return Take(buffer, offset, count);
    }

    /// <summary>Copies read-ahead bytes to the caller; the buffer goes back to the pool once it is empty.</summary>
    private int Take(byte[] buffer, int offset, int count)
    {
        var n = Math.Min(count, _readCount);
        Buffer.BlockCopy(_readBuffer!, _readStart, buffer, offset, n);
        _readStart += n;
        _readCount -= n;
        if (_readCount == 0)
        {
            ReturnReadBuffer();
        }

        return n;
    }

    private void ReturnReadBuffer()
    {
        if (_readBuffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_readBuffer);
            _readBuffer = null;
        }
    }

    /// <summary>A completed task for a read of <paramref name="n"/> bytes; the common sizes are made once.</summary>
    private static Task<int> Completed(int n) =>
        n < CompletedReads.Length ? CompletedReads[n] ??= Task.FromResult(n) : Task.FromResult(n);

    /// <summary>
    /// Writes pending bytes to the socket until none are left or they are held again: the only writer while it runs
    /// (_writing). A failure is kept, not thrown: later writes fail with it, and the connection's read fails too.
    /// </summary>
    private async Task WriteOutAsync()
    {
        while (true)
        {
            byte[] chunk;
            int count;
            lock (_sync)
            {
                _room?.TrySetResult(true);
                _room = null;
                if (_pendingCount == 0 || _failed is not null || (_holding && _pendingCount <= MaxHeldBytes))
                {
                    _writing = false;
                    _idle?.TrySetResult(true);
                    _idle = null;
                    return;
                }

                chunk = _pending!;
                count = _pendingCount;
                _pending = null;
                _pendingCount = 0;
            }

            try
            {
                Interlocked.Increment(ref _socketWrites);
                await _inner.WriteAsync(chunk, 0, count).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                lock (_sync)
                {
                    _failed = e;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }
        }
    }

    private static TaskCompletionSource<bool> NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Copies a write into the pending bytes. Caller holds _sync.</summary>
    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (_pending is null || _pending.Length - _pendingCount < bytes.Length)
        {
            var next = ArrayPool<byte>.Shared.Rent(Math.Max(4096, Math.Max(_pendingCount + bytes.Length, (_pending?.Length ?? 0) * 2)));
            if (_pending is not null)
            {
                Buffer.BlockCopy(_pending, 0, next, 0, _pendingCount);
                ArrayPool<byte>.Shared.Return(_pending);
            }

            _pending = next;
        }

        bytes.CopyTo(_pending.AsSpan(_pendingCount));
        _pendingCount += bytes.Length;
    }
}
