using System;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using RapidMessageTools.TestEnvironment;

namespace RapidMessageTools.Commands;

/// <summary>
/// Settings as every cmdlet resolves them: parameter, then environment variable, then default; warnings
/// written; an invalid explicit value a terminating InvalidSettingValue error; and, in mock mode, the URLs
/// nothing configured taken from the mock running in this session.
/// </summary>
internal static class SessionSettings
{
    /// <param name="urlParameter">The cmdlet's parameter for the WebSocket URL (its errors name it, not the setting).</param>
    public static RapidSettings Resolve(PSCmdlet cmdlet, RapidSettingsInput input, Func<RapidSettings, bool> needsMock, string urlParameter = "Url")
    {
        RapidSettings settings;
        try
        {
            settings = RapidSettings.Resolve(input, out var warnings);
            foreach (var warning in warnings)
            {
                cmdlet.WriteWarning(warning);
            }
        }
        catch (ArgumentException ex)
        {
            // Name the parameter the user typed (-Url), not the setting behind it, and drop the runtime's "(Parameter '…')".
            var parameter = ex.ParamName == nameof(RapidSettings.WebSocketUrl) ? urlParameter : ex.ParamName ?? string.Empty;
            var text = ex.Message;
            foreach (var suffix in new[] { " (Parameter '", System.Environment.NewLine + "Parameter name:" })
            {
                var cut = text.IndexOf(suffix, StringComparison.Ordinal);
                text = cut < 0 ? text : text.Substring(0, cut);
            }

            if (ex.ParamName is not null && text.StartsWith(ex.ParamName, StringComparison.Ordinal))
            {
                text = "-" + parameter + text.Substring(ex.ParamName.Length);
            }

            cmdlet.ThrowTerminatingError(new ErrorRecord(new ArgumentException(text, ex), ErrorIds.InvalidSettingValue, ErrorCategory.InvalidArgument, parameter));
            throw;
        }

        if (settings.IsMock && needsMock(settings))
        {
            var mock = MockServerRegistry.List(Runspace.DefaultRunspace.InstanceId).FirstOrDefault(s => s.IsRunning);
            if (mock is not null)
            {
                cmdlet.WriteVerbose($"No URL configured; using the mock server of this session at {mock.Url}.");
                settings = settings.WithMockServer(mock.Url, mock.BaseUrl);
            }
        }

        return settings;
    }
}
