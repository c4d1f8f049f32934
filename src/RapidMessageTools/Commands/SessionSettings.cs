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
    public static RapidSettings Resolve(PSCmdlet cmdlet, RapidSettingsInput input, Func<RapidSettings, bool> needsMock)
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
            cmdlet.ThrowTerminatingError(new ErrorRecord(ex, ErrorIds.InvalidSettingValue, ErrorCategory.InvalidArgument, ex.ParamName));
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
