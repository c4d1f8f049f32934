using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using RapidMessageTools.Results;

namespace RapidMessageTools.Commands;

/// <summary>How every cmdlet that judges limits resolves them: its bound limit parameters, then -Threshold, then RAPID_TEST_* variables, then defaults.</summary>
internal static class ThresholdBinding
{
    /// <summary>
    /// The limits, each with its source; a bad variable is a warning (its default stands), a bad parameter or
    /// -Threshold key a terminating InvalidScenarioParameter error.
    /// </summary>
    public static RapidThresholds Resolve(PSCmdlet cmdlet, IDictionary? threshold)
    {
        var given = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        foreach (var limit in ThresholdResolver.Limits)
        {
            if (cmdlet.MyInvocation.BoundParameters.TryGetValue(limit.Name, out var value))
            {
                given[limit.Name] = Convert.ToDouble(value, CultureInfo.InvariantCulture);
            }
        }

        try
        {
            var warnings = new List<string>();
            var thresholds = ThresholdResolver.Resolve(given, threshold, Environment.GetEnvironmentVariable, warnings);
            warnings.ForEach(cmdlet.WriteWarning);
            return thresholds;
        }
        catch (ArgumentException ex)
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(ex, ErrorIds.InvalidScenarioParameter, ErrorCategory.InvalidArgument, threshold));
            throw;
        }
    }
}
