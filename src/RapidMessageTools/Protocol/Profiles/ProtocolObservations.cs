using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace RapidMessageTools.Protocol.Profiles;

/// <summary>A profile mapping that real frames did not match: the key, what was wrong, how often, and the first frames.</summary>
public sealed class ProtocolMismatch
{
    public ProtocolMismatch(string key, string problem, long count, long of, string[] samples)
    {
        Key = key;
        Problem = problem;
        Count = count;
        Of = of;
        Samples = samples;
    }

    /// <summary>The profile key, as written in the profile: <c>Messages.ai_response.Fields.message_id</c>.</summary>
    public string Key { get; }

    /// <summary>"path 'payload.reply_to' found nothing", "'payload.seq' held a string, not an integer".</summary>
    public string Problem { get; }

    /// <summary>Frames that showed the problem.</summary>
    public long Count { get; }

    /// <summary>Frames of that message received in all.</summary>
    public long Of { get; }

    /// <summary>The first few such frames, truncated.</summary>
    public string[] Samples { get; }

    public override string ToString() => $"{Key}: {Problem} in {Count} of {Of} frames";
}

/// <summary>
/// What a run's frames showed about the profile, shared by all connections of the run (thread-safe): frames of
/// each canonical message, frames whose wire type no profile maps (by type), and mismatches by profile key.
/// </summary>
public sealed class ProtocolObservations
{
    /// <summary>How many frames a mismatch keeps as evidence, and how much of each.</summary>
    public const int SampleCount = 3;
    public const int SampleLength = 300;

    private readonly object _gate = new();
    private readonly Dictionary<string, long> _decoded = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _unmapped = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Type, string Problem, long Count, List<string> Samples)> _mismatches = new(StringComparer.Ordinal);

    /// <summary>A frame was read as <paramref name="canonicalType"/>.</summary>
    public void Decoded(string canonicalType)
    {
        lock (_gate)
        {
            _decoded.TryGetValue(canonicalType, out var n);
            _decoded[canonicalType] = n + 1;
        }
    }

    /// <summary>A frame whose wire type the profile does not map (a welcome, a typing indicator, an ack).</summary>
    public void Unmapped(string wireType)
    {
        lock (_gate)
        {
            _unmapped.TryGetValue(wireType, out var n);
            _unmapped[wireType] = n + 1;
        }
    }

    /// <summary>A frame of <paramref name="canonicalType"/> did not match the profile at <paramref name="key"/>.</summary>
    public void Mismatch(string canonicalType, string key, string problem, ReadOnlySpan<byte> frame)
    {
        lock (_gate)
        {
            if (!_mismatches.TryGetValue(key, out var m))
            {
                m = (canonicalType, problem, 0, new List<string>(SampleCount));
            }

            if (m.Samples.Count < SampleCount)
            {
                var text = Encoding.UTF8.GetString(frame.Length > SampleLength ? frame.Slice(0, SampleLength).ToArray() : frame.ToArray());
                m.Samples.Add(frame.Length > SampleLength ? text + "…" : text);
            }

            _mismatches[key] = (m.Type, m.Problem, m.Count + 1, m.Samples);
        }
    }

    /// <summary>Unmapped frames by wire type.</summary>
    public IReadOnlyDictionary<string, long> UnmappedFrames()
    {
        lock (_gate)
        {
            return new Dictionary<string, long>(_unmapped, StringComparer.Ordinal);
        }
    }

    /// <summary>Frames read per canonical message.</summary>
    public long DecodedCount(string canonicalType)
    {
        lock (_gate)
        {
            return _decoded.TryGetValue(canonicalType, out var n) ? n : 0;
        }
    }

    public IReadOnlyList<ProtocolMismatch> Mismatches()
    {
        lock (_gate)
        {
            return _mismatches.OrderBy(p => p.Key, StringComparer.Ordinal)
                .Select(p => new ProtocolMismatch(p.Key, p.Value.Problem, p.Value.Count, Math.Max(p.Value.Count, _decoded.TryGetValue(p.Value.Type, out var n) ? n : 0), p.Value.Samples.ToArray()))
                .ToArray();
        }
    }
}
