using System;
using System.Collections;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Text.Json;
using RapidMessageTools.Protocol.Profiles;

namespace RapidMessageTools.Commands;

/// <summary>
/// -Protocol as every cmdlet resolves it: the parameter (a built-in name, a path, a hashtable, or a profile),
/// then RAPID_TEST_PROTOCOL (a name or a path), then, when the URL is a mock of this session, that mock's
/// profile, then the built-in protocol. A profile with a mistake stops the cmdlet before anything connects.
/// </summary>
internal static class ProtocolArgument
{
    public const string Variable = "RAPID_TEST_PROTOCOL";

    public static ProtocolProfile Resolve(PSCmdlet cmdlet, object? parameter, string? url)
    {
        var profile = ResolveProfile(cmdlet, parameter, url);
        if (url is not null && profile.Transport != ProfileTransport.SignalR
            && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(
                new ArgumentException($"-Url must be a ws:// or wss:// URL for the protocol {profile.Name}, which speaks JSON over a WebSocket, not the HTTP URL '{url}'; for an ASP.NET Core SignalR hub, pass -Protocol with a SignalR profile (the module's Examples/signalr-chat.json is one)."),
                ErrorIds.InvalidSettingValue,
                ErrorCategory.InvalidArgument,
                "Url"));
        }

        return profile;
    }

    private static ProtocolProfile ResolveProfile(PSCmdlet cmdlet, object? parameter, string? url)
    {
        if (parameter is not null)
        {
            return Load(cmdlet, parameter, "-Protocol");
        }

        var variable = System.Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(variable))
        {
            return Load(cmdlet, variable!, Variable);
        }

        var mock = url is null ? null : MockServerRegistry.List(Runspace.DefaultRunspace.InstanceId)
            .FirstOrDefault(s => s.IsRunning && string.Equals(s.Url, url, StringComparison.OrdinalIgnoreCase));
        return mock?.Options.Profile ?? ProtocolProfile.Rapid;
    }

    /// <summary>Reads a profile from what a user passed; a terminating error naming the key when it cannot be used.</summary>
    public static ProtocolProfile Load(PSCmdlet cmdlet, object value, string from)
    {
        try
        {
            switch (value is PSObject pso ? pso.BaseObject : value)
            {
                case ProtocolProfile profile:
                    return profile;
                case IDictionary table:
                    return ProfileReader.Read(ToJson(table), "hashtable");
                case string text when string.Equals(text, ProtocolProfile.Rapid.Name, StringComparison.OrdinalIgnoreCase):
                    return ProtocolProfile.Rapid;
                case string text:
                    var path = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(text);
                    if (!File.Exists(path))
                    {
                        cmdlet.ThrowTerminatingError(new ErrorRecord(
                            new FileNotFoundException($"{from} '{text}' is neither a built-in profile ({ProtocolProfile.Rapid.Name}) nor a file: give the path of a profile (.json), or a hashtable. The module ships examples in its Examples folder.", path),
                            ErrorIds.ProtocolProfileNotFound,
                            ErrorCategory.ObjectNotFound,
                            text));
                    }

                    return ProfileReader.Read(File.ReadAllText(path), path);
                default:
                    throw new ProtocolProfileException(string.Empty, $"{from} takes a built-in name, a path to a .json profile, or a hashtable; not a {value.GetType().Name}.");
            }
        }
        catch (ProtocolProfileException ex)
        {
            var at = ex.Key.Length == 0 ? string.Empty : $" At '{ex.Key}':";
            cmdlet.ThrowTerminatingError(new ErrorRecord(
                new ArgumentException($"The protocol profile ({from}) cannot be used.{at} {ex.Message}", ex),
                ErrorIds.ProtocolProfileInvalid,
                ErrorCategory.InvalidArgument,
                ex.Key));
            throw;
        }
    }

    /// <summary>A hashtable (from a .psd1 or a literal) as the JSON a profile file would hold.</summary>
    internal static string ToJson(IDictionary table)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            Write(w, table, string.Empty);
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Write(Utf8JsonWriter w, object? value, string key)
    {
        switch (value is PSObject pso ? pso.BaseObject : value)
        {
            case null:
                w.WriteNullValue();
                break;
            case string s:
                w.WriteStringValue(s);
                break;
            case bool b:
                w.WriteBooleanValue(b);
                break;
            case SwitchParameter sw:
                w.WriteBooleanValue(sw.IsPresent);
                break;
            case int or long or short or byte:
                w.WriteNumberValue(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case double or float or decimal:
                w.WriteNumberValue(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case IDictionary d:
                w.WriteStartObject();
                foreach (DictionaryEntry e in d)
                {
                    var name = e.Key?.ToString() ?? string.Empty;
                    w.WritePropertyName(name);
                    Write(w, e.Value, key.Length == 0 ? name : key + "." + name);
                }

                w.WriteEndObject();
                break;
            case IEnumerable list:
                w.WriteStartArray();
                var i = 0;
                foreach (var item in list)
                {
                    Write(w, item, key + "." + i++);
                }

                w.WriteEndArray();
                break;
            default:
                throw new ProtocolProfileException(key, $"{key} holds a {value!.GetType().Name}; a profile holds only strings, numbers, true/false, lists and hashtables.");
        }
    }
}
