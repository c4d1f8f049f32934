using System;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;

namespace RapidMessageTools.Client;

/// <summary>
/// Writes every frame sent and received, one line each with a UTC timestamp, the connection and the
/// direction. Tokens are redacted. Thread-safe.
/// </summary>
public sealed class FrameTraceWriter : IDisposable
{
    private static readonly Regex TokenField = new("(\"token\"\\s*:\\s*\")[^\"]*(\")", RegexOptions.Compiled);
    private static readonly Regex BearerText = new("(Bearer\\s+)[A-Za-z0-9\\-_\\.=]+", RegexOptions.Compiled);
    private readonly StreamWriter _writer;

    public FrameTraceWriter(string path)
    {
        Path = path;
        _writer = new StreamWriter(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read), new UTF8Encoding(false)) { AutoFlush = false };
    }

    public string Path { get; }

    public void Sent(long connection, ReadOnlySpan<byte> utf8) => Write(connection, ">", Encoding.UTF8.GetString(utf8.ToArray()));

    public void Received(long connection, ReadOnlySpan<byte> utf8, bool binary) =>
        Write(connection, "<", binary ? $"(binary frame, {utf8.Length} bytes)" : Encoding.UTF8.GetString(utf8.ToArray()));

    public void Event(long connection, string text) => Write(connection, "*", text);

    public static string Redact(string text) =>
        ConnectionOptions.Redact(BearerText.Replace(TokenField.Replace(text, "$1***$2"), "$1***"));

    public void Dispose()
    {
        lock (_writer)
        {
            _writer.Flush();
            _writer.Dispose();
        }
    }

    private void Write(long connection, string direction, string text)
    {
        var line = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture) + " conn#" +
            connection.ToString(CultureInfo.InvariantCulture) + " " + direction + " " + Redact(text);
        lock (_writer)
        {
            if (_writer.BaseStream.CanWrite)
            {
                _writer.WriteLine(line);
            }
        }
    }
}
