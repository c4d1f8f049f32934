using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using RapidMessageTools.Capacity;
using RapidMessageTools.Results;

namespace RapidMessageTools.Baselines;

/// <summary>What is wrong with a result file (see <see cref="ResultFileException"/>).</summary>
public enum ResultFileProblem
{
    /// <summary>The file is not there.</summary>
    Missing,

    /// <summary>Not JSON, cut short, or a part that does not read as what it should be.</summary>
    Corrupt,

    /// <summary>JSON, but not a file Export-RapidResult wrote (no SchemaVersion, another Kind).</summary>
    Foreign,

    /// <summary>Written by a newer RapidMessageTools with a schema this one does not read.</summary>
    NewerSchema,
}

/// <summary>A result file that cannot be read: <see cref="Path"/> names it, the message says what is wrong and what to do.</summary>
public sealed class ResultFileException : Exception
{
    public ResultFileException()
    {
    }

    public ResultFileException(string message)
        : base(message)
    {
    }

    public ResultFileException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public ResultFileException(string path, ResultFileProblem problem, string message, Exception? inner = null)
        : base($"'{path}' {message}", inner)
    {
        Path = path;
        Problem = problem;
    }

    public string Path { get; } = string.Empty;

    public ResultFileProblem Problem { get; }
}

/// <summary>
/// The result file (docs/RESULT-FILE.md): a JSON object with <c>SchemaVersion</c>, <c>Kind</c>
/// (<see cref="DocumentKind"/>), when and by which version it was written, and <c>Results</c>: entries of
/// <c>Kind</c> ScenarioResult or CapacityResult, each holding the whole result under <c>Result</c> (every public
/// property, histograms as their encoded text), so nothing is lost and properties added later travel without a
/// change here.
/// </summary>
public static class ResultFile
{
    /// <summary>The schema this version writes, and the newest it reads.</summary>
    public const int SchemaVersion = 1;

    public const string DocumentKind = "RapidMessageTools.Results";
    public const string ScenarioKind = "ScenarioResult";
    public const string CapacityKind = "CapacityResult";

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        PropertyNameCaseInsensitive = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The file's text for <paramref name="set"/>.</summary>
    public static string Write(RapidResultSet set, DateTime savedUtc, string moduleVersion)
    {
        if (set is null)
        {
            throw new ArgumentNullException(nameof(set));
        }

        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("SchemaVersion", SchemaVersion);
            w.WriteString("Kind", DocumentKind);
            w.WriteString("Saved", savedUtc.ToUniversalTime().ToString("o", CultureInfo.InvariantCulture));
            w.WriteString("Module", moduleVersion);
            w.WriteStartArray("Results");
            foreach (var (result, _) in set.Scenarios)
            {
                WriteEntry(w, ScenarioKind, result.Scenario, ResultProtocol.Of(result), result);
            }

            foreach (var (result, _) in set.Capacities)
            {
                WriteEntry(w, CapacityKind, result.Scenario, ResultProtocol.Of(result), result);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Reads one file; throws <see cref="ResultFileException"/> naming it and what is wrong.</summary>
    public static RapidResultSet Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new ResultFileException(path, ResultFileProblem.Missing, "does not exist.");
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ResultFileException(path, ResultFileProblem.Corrupt, $"cannot be read: {e.Message}", e);
        }

        return Parse(text, path);
    }

    /// <summary>
    /// Reads a file, or every *.json file of a folder (by name, not its subfolders). In a folder a file that cannot be
    /// read goes to <paramref name="skipped"/> and the others are read; a single file that cannot be read throws.
    /// </summary>
    public static RapidResultSet ReadAll(string path, Action<ResultFileException> skipped)
    {
        if (!Directory.Exists(path))
        {
            return Read(path);
        }

        var set = new RapidResultSet();
        foreach (var file in Directory.GetFiles(path, "*.json").OrderBy(f => f, StringComparer.Ordinal))
        {
            try
            {
                set.Add(Read(file));
            }
            catch (ResultFileException bad)
            {
                skipped?.Invoke(bad);
            }
        }

        return set;
    }

    /// <summary>Reads a file's text; <paramref name="path"/> names it in errors.</summary>
    public static RapidResultSet Parse(string text, string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text ?? string.Empty);
        }
        catch (JsonException e)
        {
            throw new ResultFileException(path, ResultFileProblem.Corrupt, $"is not JSON ({e.Message}): it is cut short or damaged. Export the results again with Export-RapidResult.", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("SchemaVersion", out var version))
            {
                throw new ResultFileException(path, ResultFileProblem.Foreign, "has no SchemaVersion: it is not a file Export-RapidResult wrote. Pass a file or folder of exported results.");
            }

            var kind = root.TryGetProperty("Kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
            if (!string.Equals(kind, DocumentKind, StringComparison.Ordinal))
            {
                throw new ResultFileException(path, ResultFileProblem.Foreign, $"has Kind '{kind}', not '{DocumentKind}': it is not a file Export-RapidResult wrote. Pass a file or folder of exported results.");
            }

            if (version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var schema) || schema < 1)
            {
                throw new ResultFileException(path, ResultFileProblem.Corrupt, $"has SchemaVersion {version.GetRawText()}, which is not a schema number (1 or more).");
            }

            if (schema > SchemaVersion)
            {
                throw new ResultFileException(path, ResultFileProblem.NewerSchema, $"was written with schema {schema} by a newer RapidMessageTools; this one reads schema {SchemaVersion}. Update the module (Update-Module RapidMessageTools) where the file is read.");
            }

            if (!root.TryGetProperty("Results", out var results) || results.ValueKind != JsonValueKind.Array)
            {
                throw new ResultFileException(path, ResultFileProblem.Corrupt, "has no Results array.");
            }

            var set = new RapidResultSet();
            var index = 0;
            foreach (var entry in results.EnumerateArray())
            {
                ReadEntry(entry, path, index++, set);
            }

            return set;
        }
    }

    private static void WriteEntry(Utf8JsonWriter w, string kind, string scenario, string? protocol, object result)
    {
        w.WriteStartObject();
        w.WriteString("Kind", kind);
        w.WriteString("Scenario", scenario);

        // The profile the run spoke, beside the result for readers that do not open the result itself.
        if (protocol is null)
        {
            w.WriteNull("Protocol");
        }
        else
        {
            w.WriteString("Protocol", protocol);
        }

        w.WritePropertyName("Result");
        JsonSerializer.Serialize(w, result, result.GetType(), Options);
        w.WriteEndObject();
    }

    private static void ReadEntry(JsonElement entry, string path, int index, RapidResultSet set)
    {
        var where = FormattableString.Invariant($"Results[{index}]");
        if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("Result", out var body) || body.ValueKind != JsonValueKind.Object)
        {
            throw new ResultFileException(path, ResultFileProblem.Corrupt, $"has no Result object at {where}.");
        }

        var kind = entry.TryGetProperty("Kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
        try
        {
            switch (kind)
            {
                case ScenarioKind:
                    var result = Deserialize<RapidScenarioResult>(body);
                    Restore(result);
                    set.Scenarios.Add((result, path));
                    break;
                case CapacityKind:
                    var capacity = Deserialize<RapidCapacityResult>(body);
                    capacity.Limits = Restore(capacity.Limits);
                    foreach (var step in capacity.Steps ?? [])
                    {
                        if (step.Result is not null)
                        {
                            Restore(step.Result);
                        }
                    }

                    set.Capacities.Add((capacity, path));
                    break;
                default:
                    throw new ResultFileException(path, ResultFileProblem.Corrupt, $"has Kind '{kind}' at {where}; a result is {ScenarioKind} or {CapacityKind}.");
            }
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or FormatException or ArgumentException or InvalidOperationException or NotSupportedException or IndexOutOfRangeException)
        {
            throw new ResultFileException(path, ResultFileProblem.Corrupt, $"has a result at {where} that cannot be read: {e.Message}", e);
        }
    }

    private static T Deserialize<T>(JsonElement body)
        where T : class =>
        JsonSerializer.Deserialize<T>(body.GetRawText(), Options) ?? throw new InvalidDataException("it is null.");

    /// <summary>What JSON cannot carry as it was: the limits' sources by any case, the settings as plain values; then the histograms are checked.</summary>
    private static void Restore(RapidScenarioResult result)
    {
        result.Thresholds = Restore(result.Thresholds);
        result.Violations ??= [];
        result.Timeline ??= [];
        result.CloseReasons ??= [];
        result.Notes ??= [];
        result.Parameters ??= new RapidScenarioParameters();
        result.Parameters.Stages ??= [];
        if (result.Settings is JsonElement settings)
        {
            result.Settings = Plain(settings);
        }

        ResultMerger.Validate(result);
    }

    private static RapidThresholds Restore(RapidThresholds? thresholds)
    {
        var restored = thresholds ?? new RapidThresholds();
        restored.Sources = new Dictionary<string, string>(restored.Sources ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);
        return restored;
    }

    /// <summary>A JSON value as plain .NET values: objects as dictionaries (names in any case), arrays, strings, numbers, booleans.</summary>
    private static object? Plain(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => e.EnumerateObject().Aggregate(
            new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase),
            (d, p) =>
            {
                d[p.Name] = Plain(p.Value);
                return d;
            }),
        JsonValueKind.Array => e.EnumerateArray().Select(Plain).ToArray(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out var l) ? l : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}
