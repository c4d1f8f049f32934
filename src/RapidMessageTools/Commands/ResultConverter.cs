using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Reflection;
using RapidMessageTools.Scenarios;

namespace RapidMessageTools.Commands;

/// <summary>
/// Turns a result back into <see cref="RapidScenarioResult"/>, whether it is live, deserialized
/// (Import-Clixml, remoting, a job) or read from JSON (ConvertFrom-Json): properties are copied by name.
/// </summary>
public static class ResultConverter
{
    public static RapidScenarioResult? FromPSObject(object? input)
    {
        var value = input is PSObject ps ? ps.BaseObject : input;
        if (value is RapidScenarioResult live)
        {
            return live;
        }

        if (input is null)
        {
            return null;
        }

        var source = PSObject.AsPSObject(input);
        if (source.Properties["Scenario"] is null || source.Properties["Histogram"] is null)
        {
            return null;
        }

        return (RapidScenarioResult)Copy(source, typeof(RapidScenarioResult));
    }

    /// <summary>Converts pipeline input into results, writing a NotAScenarioResult error for anything else.</summary>
    internal static void Collect(PSCmdlet cmdlet, IEnumerable<PSObject> items, List<RapidScenarioResult> into)
    {
        foreach (var item in items)
        {
            var result = FromPSObject(item);
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

    private static object Copy(PSObject source, Type type)
    {
        var target = Activator.CreateInstance(type)!;
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var found = source.Properties[property.Name];
            if (found?.Value is null)
            {
                continue;
            }

            property.SetValue(target, ConvertValue(found.Value, property.PropertyType));
        }

        return target;
    }

    private static object? ConvertValue(object value, Type type)
    {
        var raw = value is PSObject p ? p.BaseObject : value;
        if (type == typeof(object))
        {
            return raw;
        }

        if (type.IsInstanceOfType(raw))
        {
            return raw;
        }

        if (type.IsArray)
        {
            var element = type.GetElementType()!;
            var items = raw is IEnumerable e && raw is not string ? e.Cast<object>().ToList() : new List<object> { value };
            var array = Array.CreateInstance(element, items.Count);
            for (var i = 0; i < items.Count; i++)
            {
                array.SetValue(ConvertValue(items[i], element), i);
            }

            return array;
        }

        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying.IsPrimitive || underlying == typeof(string) || underlying == typeof(decimal) || underlying == typeof(DateTimeOffset) || underlying == typeof(DateTime) || underlying.IsEnum)
        {
            return LanguagePrimitives.ConvertTo(raw, underlying, System.Globalization.CultureInfo.InvariantCulture);
        }

        return Copy(PSObject.AsPSObject(value), underlying);
    }
}
