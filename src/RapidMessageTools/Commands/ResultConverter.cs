using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Reflection;
using RapidMessageTools.Baselines;
using RapidMessageTools.Capacity;
using RapidMessageTools.Metrics;
using RapidMessageTools.Results;

namespace RapidMessageTools.Commands;

/// <summary>
/// Turns a result back into <see cref="RapidScenarioResult"/>, whether it is live, deserialized
/// (Import-Clixml, remoting, a job) or read from JSON (ConvertFrom-Json): properties are copied by name,
/// at any depth, so properties added to the result travel without changes here. A value that cannot be
/// read as its property's type (a nested object that arrived as text, a count that is not a number) is
/// refused, naming the property, rather than read as zero.
/// </summary>
public static class ResultConverter
{
    /// <summary>
    /// The result, or null when <paramref name="input"/> is not a result at all. Throws
    /// <see cref="InvalidDataException"/> when it is one whose parts cannot be read.
    /// </summary>
    public static RapidScenarioResult? FromPSObject(object? input)
    {
        if (Unwrap<RapidScenarioResult>(input, out var source) is { } live)
        {
            return live;
        }

        if (source is null || source.Properties["Scenario"] is null || (source.Properties["Histogram"] is null && source.Properties["Sent"] is null))
        {
            return null;
        }

        if (source.Properties["Histogram"]?.Value is null)
        {
            throw new InvalidDataException("it has no Histogram, so its latencies cannot be merged.");
        }

        return (RapidScenarioResult)Copy(source, typeof(RapidScenarioResult), string.Empty);
    }

    /// <summary>A capacity search's result, live or deserialized (Import-Clixml, a job, ConvertFrom-Json), or null when <paramref name="input"/> is not one.</summary>
    public static RapidCapacityResult? CapacityFromPSObject(object? input)
    {
        if (Unwrap<RapidCapacityResult>(input, out var source) is { } live)
        {
            return live;
        }

        return source?.Properties["HighestHeldRate"] is null || source.Properties["Scenario"] is null
            ? null
            : (RapidCapacityResult)Copy(source, typeof(RapidCapacityResult), string.Empty);
    }

    /// <summary>A comparison row (Compare-RapidResult's output), live or deserialized (Import-Clixml, a job, ConvertFrom-Json), or null when <paramref name="input"/> is not one.</summary>
    public static RapidComparison? ComparisonFromPSObject(object? input)
    {
        if (Unwrap<RapidComparison>(input, out var source) is { } live)
        {
            return live;
        }

        if (source is null || source.Properties["Metric"] is null || source.Properties["Verdict"]?.Value is not { } verdictValue || source.Properties["Scenario"] is null)
        {
            return null;
        }

        if (!Enum.TryParse<ComparisonVerdict>(verdictValue.ToString(), ignoreCase: true, out var verdict))
        {
            throw new InvalidDataException($"its Verdict '{verdictValue}' is none of {string.Join(", ", Enum.GetNames(typeof(ComparisonVerdict)))}.");
        }

        string Text(string name) => source.Properties[name]?.Value?.ToString() ?? string.Empty;
        double? Number(string name) => source.Properties[name]?.Value is { } v && v.ToString()!.Length > 0
            ? Convert.ToDouble(v is PSObject p ? p.BaseObject : v, CultureInfo.InvariantCulture)
            : null;

        return new RapidComparison(
            Text("Scenario"),
            Text("Metric"),
            Text("Unit"),
            Number("Baseline"),
            Number("Current"),
            Number("Change"),
            source.Properties["ChangeIsAbsolute"]?.Value is { } absolute && LanguagePrimitives.IsTrue(absolute),
            verdict,
            Text("Reason"),
            (int)(Number("BaselineRuns") ?? 0),
            Number("Tolerance"));
    }

    /// <summary>The live <typeparamref name="T"/>, or null with <paramref name="source"/> the object to copy from (null for text, numbers, nothing).</summary>
    private static T? Unwrap<T>(object? input, out PSObject? source)
        where T : class
    {
        var value = input is PSObject ps ? ps.BaseObject : input;
        source = input is null || value is string || value is ValueType || value is T ? null : PSObject.AsPSObject(input);
        return value as T;
    }

    /// <summary>
    /// Converts pipeline input into results, writing a NotAScenarioResult error for anything else and an
    /// UnreadableScenarioResult error for a result whose histograms or counts cannot be read.
    /// </summary>
    internal static void Collect(PSCmdlet cmdlet, IEnumerable<PSObject> items, List<RapidScenarioResult> into)
    {
        foreach (var item in items)
        {
            RapidScenarioResult? result;
            try
            {
                result = FromPSObject(item);
                if (result is not null)
                {
                    ResultMerger.Validate(result);
                }
            }
            catch (InvalidDataException e)
            {
                cmdlet.WriteError(new ErrorRecord(
                    new InvalidDataException($"The result '{Describe(item)}' cannot be read: {e.Message} Pass results as Invoke-RapidScenario returned them, or as PowerShell deserialized them (Receive-Job, Invoke-Command, Import-Clixml) with the module imported where they were made, so its type data travels with them.", e),
                    ErrorIds.UnreadableScenarioResult,
                    ErrorCategory.InvalidData,
                    item));
                continue;
            }

            if (result is null)
            {
                cmdlet.WriteError(new ErrorRecord(
                    new ArgumentException($"'{item}' is not a RapidScenarioResult: pass what Invoke-RapidScenario returned (or Import-Clixml of it)."),
                    ErrorIds.NotAScenarioResult,
                    ErrorCategory.InvalidType,
                    item));
                continue;
            }

            into.Add(result);
        }
    }

    private static string Describe(PSObject item)
    {
        var scenario = item.Properties["Scenario"]?.Value;
        var shard = item.Properties["Shard"]?.Value;
        return shard is null ? $"{scenario}" : $"{scenario} shard {shard}";
    }

    private static object Copy(PSObject source, Type type, string path)
    {
        var target = Activator.CreateInstance(type)!;
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.GetIndexParameters().Length == 0))
        {
            var found = source.Properties[property.Name];
            if (found?.Value is null)
            {
                continue;
            }

            var converted = ConvertValue(found.Value, property.PropertyType, path.Length == 0 ? property.Name : path + "." + property.Name);
            if (converted is IDictionary entries && property.GetValue(target) is IDictionary initial && !initial.IsReadOnly)
            {
                // Fill the dictionary the type made, so it keeps its key comparer (case-insensitive names, say).
                initial.Clear();
                foreach (DictionaryEntry entry in entries)
                {
                    initial[entry.Key] = entry.Value;
                }

                continue;
            }

            property.SetValue(target, converted);
        }

        return target;
    }

    private static object? ConvertValue(object value, Type type, string path)
    {
        var raw = value is PSObject p ? p.BaseObject : value;
        if (type == typeof(object) || type.IsInstanceOfType(raw))
        {
            return raw;
        }

        if (type == typeof(RapidHistogram) && raw is string encoded)
        {
            // The histogram's compact encoded form alone: the count is read from it.
            return FromEncoded(encoded, path);
        }

        if (type.IsArray)
        {
            var element = type.GetElementType()!;
            var items = Items(raw, value);
            var array = Array.CreateInstance(element, items.Count);
            for (var i = 0; i < items.Count; i++)
            {
                array.SetValue(items[i] is null ? null : ConvertValue(items[i]!, element, FormattableString.Invariant($"{path}[{i}]")), i);
            }

            return array;
        }

        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying.IsPrimitive || underlying == typeof(string) || underlying == typeof(decimal) || underlying == typeof(DateTimeOffset) || underlying == typeof(DateTime) || underlying == typeof(TimeSpan) || underlying.IsEnum)
        {
            try
            {
                return LanguagePrimitives.ConvertTo(raw, underlying, CultureInfo.InvariantCulture);
            }
            catch (PSInvalidCastException e)
            {
                throw new InvalidDataException($"{path} is '{raw}', not a {underlying.Name}.", e);
            }
        }

        if (DictionaryTypes(underlying) is { } kv)
        {
            return ToDictionary(value, kv.Key, kv.Value, path);
        }

        if (ListElement(underlying) is { } listElement)
        {
            return ConvertValue(value, listElement.MakeArrayType(), path);
        }

        if (raw is string or ValueType || underlying.IsAbstract || underlying.GetConstructor(Type.EmptyTypes) is null)
        {
            // A nested object that arrived as text: PowerShell serialized it below its depth.
            throw new InvalidDataException($"{path} arrived as the text '{Shorten(raw)}', not as the {underlying.Name} it was.");
        }

        return Copy(PSObject.AsPSObject(value), underlying, path);
    }

    private static RapidHistogram FromEncoded(string encoded, string path)
    {
        try
        {
            return LatencyHistogram.Import(new RapidHistogram(encoded, 0)).Export();
        }
        catch (Exception e) when (e is FormatException or ArgumentException or IndexOutOfRangeException or InvalidOperationException or NotSupportedException)
        {
            throw new InvalidDataException($"{path} is the text '{Shorten(encoded)}', which is not an encoded histogram.", e);
        }
    }

    private static List<object?> Items(object raw, object value) =>
        raw is IEnumerable e and not string and not IDictionary ? e.Cast<object?>().ToList() : new List<object?> { value };

    private static KeyValuePair<Type, Type>? DictionaryTypes(Type type)
    {
        foreach (var candidate in type.GetInterfaces().Append(type))
        {
            if (candidate.IsGenericType &&
                (candidate.GetGenericTypeDefinition() == typeof(IDictionary<,>) || candidate.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>)))
            {
                var args = candidate.GetGenericArguments();
                return new KeyValuePair<Type, Type>(args[0], args[1]);
            }
        }

        return null;
    }

    private static Type? ListElement(Type type) =>
        type.IsInterface && type.IsGenericType && type.GetGenericArguments().Length == 1 && typeof(IEnumerable).IsAssignableFrom(type)
            ? type.GetGenericArguments()[0]
            : null;

    private static object ToDictionary(object input, Type key, Type value, string path)
    {
        var raw = input is PSObject p ? p.BaseObject : input;
        var dictionary = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(key, value))!;
        if (raw is IDictionary source)
        {
            foreach (DictionaryEntry entry in source)
            {
                var k = ConvertValue(entry.Key, key, path)!;
                dictionary[k] = entry.Value is null ? null : ConvertValue(entry.Value, value, path + "[" + entry.Key + "]");
            }

            return dictionary;
        }

        if (raw is string or ValueType)
        {
            throw new InvalidDataException($"{path} arrived as the text '{Shorten(raw)}', not as a dictionary.");
        }

        // ConvertFrom-Json gives a dictionary as an object with one property per key.
        foreach (var property in PSObject.AsPSObject(input).Properties)
        {
            dictionary[ConvertValue(property.Name, key, path)!] = property.Value is null ? null : ConvertValue(property.Value, value, path + "." + property.Name);
        }

        return dictionary;
    }

    private static string Shorten(object? value)
    {
        var text = Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty;
        return text.Length <= 60 ? text : text.Substring(0, 57) + "...";
    }
}
