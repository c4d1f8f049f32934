using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace RapidMessageTools.Results;

/// <summary>A number a caller may set by a parameter, a hashtable key or a RAPID_TEST_* variable (a limit, a tolerance).</summary>
public interface INamedSetting
{
    string Name { get; }

    /// <summary>The RAPID_TEST_* variable that sets it, or null.</summary>
    string? Variable { get; }

    double Default { get; }

    /// <summary>What a valid value is, for error messages.</summary>
    string Expected { get; }

    bool IsValid(double value);
}

/// <summary>
/// The one precedence for numeric settings (limits and tolerances): a parameter, then a key of the cmdlet's
/// hashtable (-Threshold, -Tolerance), then the RAPID_TEST_* variable, then the default; each value with its
/// source (<see cref="ThresholdSources"/>).
/// </summary>
public static class SettingTable
{
    /// <summary>
    /// Each setting's value and source. An invalid parameter or table value, or an unknown key, throws
    /// <see cref="ArgumentException"/> naming it; an unparsable or out-of-range environment value adds a warning
    /// naming the variable, and the default stands.
    /// </summary>
    public static IReadOnlyList<(T Setting, double Value, string Source)> Resolve<T>(
        IReadOnlyList<T> settings,
        string tableName,
        IReadOnlyDictionary<string, double>? parameters,
        IDictionary? table,
        Func<string, string?> getEnv,
        ICollection<string> warnings)
        where T : INamedSetting
    {
        if (settings is null)
        {
            throw new ArgumentNullException(nameof(settings));
        }

        if (getEnv is null)
        {
            throw new ArgumentNullException(nameof(getEnv));
        }

        var fromTable = ReadTable(settings, tableName, table);
        return settings.Select(s =>
        {
            var (value, source) = Pick(s, tableName, parameters, fromTable, getEnv, warnings);
            return (s, value, source);
        }).ToList();
    }

    private static (double Value, string Source) Pick(INamedSetting setting, string tableName, IReadOnlyDictionary<string, double>? parameters, Dictionary<string, double> table, Func<string, string?> getEnv, ICollection<string> warnings)
    {
        if (parameters is not null && parameters.TryGetValue(setting.Name, out var given))
        {
            return setting.IsValid(given)
                ? (given, ThresholdSources.Parameter)
                : throw new ArgumentException(Invariant($"-{setting.Name} must be {setting.Expected}, not {given}."), setting.Name);
        }

        if (table.TryGetValue(setting.Name, out var keyed))
        {
            return setting.IsValid(keyed)
                ? (keyed, ThresholdSources.Table)
                : throw new ArgumentException(Invariant($"{tableName} key '{setting.Name}' must be {setting.Expected}, not {keyed}."), setting.Name);
        }

        var text = setting.Variable is null ? null : getEnv(setting.Variable);
        if (!string.IsNullOrWhiteSpace(text))
        {
            if (double.TryParse(text!.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && setting.IsValid(parsed))
            {
                return (parsed, ThresholdSources.Environment);
            }

            warnings.Add($"{setting.Variable}='{text.Trim()}' is not {setting.Expected}; the default {ThresholdResolver.FormatValue(setting.Default)} stands.");
        }

        return (setting.Default, ThresholdSources.Default);
    }

    private static Dictionary<string, double> ReadTable<T>(IReadOnlyList<T> settings, string tableName, IDictionary? table)
        where T : INamedSetting
    {
        var values = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        if (table is null)
        {
            return values;
        }

        foreach (DictionaryEntry kv in table)
        {
            var key = kv.Key?.ToString() ?? string.Empty;
            var setting = settings.FirstOrDefault(s => string.Equals(s.Name, key, StringComparison.OrdinalIgnoreCase));
            if (setting is null)
            {
                throw new ArgumentException($"Unknown {tableName} key '{key}': use {string.Join(", ", settings.Select(l => l.Name))}.", key);
            }

            if (!TryNumber(kv.Value, out var value))
            {
                throw new ArgumentException($"{tableName} key '{setting.Name}' must be {setting.Expected}, not '{kv.Value}'.", setting.Name);
            }

            values[setting.Name] = value;
        }

        return values;
    }

    private static bool TryNumber(object? value, out double result)
    {
        switch (value)
        {
            case null:
                result = 0;
                return false;
            case string s:
                return double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out result);
            case IConvertible c when value is not bool and not char and not DateTime:
                try
                {
                    result = c.ToDouble(CultureInfo.InvariantCulture);
                    return true;
                }
                catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException)
                {
                    result = 0;
                    return false;
                }

            default:
                result = 0;
                return false;
        }
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
