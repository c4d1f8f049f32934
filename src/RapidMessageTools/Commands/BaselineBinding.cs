using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using RapidMessageTools.Baselines;
using RapidMessageTools.Capacity;
using RapidMessageTools.Results;

namespace RapidMessageTools.Commands;

/// <summary>How the cmdlets that compare with a baseline bind -Baseline, RAPID_TEST_BASELINE and -Tolerance, and report what a comparison found.</summary>
internal static class BaselineBinding
{
    public const string BaselineVariable = "RAPID_TEST_BASELINE";

    /// <summary>What an empty baseline means to a comparison.</summary>
    public const string NoBaselineRows = "every metric is NoBaseline";

    /// <summary>
    /// The baseline: -Baseline (a path, or results), else RAPID_TEST_BASELINE (a path), else null (no comparison).
    /// A missing file is an empty set with a warning (NoBaseline: the first run of a pipeline); a file that cannot be
    /// read is a terminating error naming it; in a folder, a bad file is a warning and is skipped.
    /// <paramref name="consequence"/> ends the warnings: what an empty baseline means to the caller.
    /// </summary>
    public static RapidResultSet? Load(PSCmdlet cmdlet, object? baseline, string consequence = NoBaselineRows)
    {
        var given = baseline is PSObject ps ? ps.BaseObject : baseline;
        if (given is null)
        {
            var fromEnv = Environment.GetEnvironmentVariable(BaselineVariable);
            if (string.IsNullOrWhiteSpace(fromEnv))
            {
                return null;
            }

            given = fromEnv!.Trim();
        }

        if (given is string path)
        {
            return FromPath(cmdlet, path, consequence);
        }

        var items = given is IEnumerable many and not IDictionary ? many.Cast<object?>().ToList() : new List<object?> { given };
        var set = new RapidResultSet();
        if (items.Count == 0)
        {
            cmdlet.WriteWarning($"-Baseline holds no results, so {consequence}.");
        }

        foreach (var item in items)
        {
            var raw = item is PSObject p ? p.BaseObject : item;
            if (raw is string itemPath)
            {
                set.Add(FromPath(cmdlet, itemPath, consequence));
            }
            else if (ToResult(item) is { } result)
            {
                set.Scenarios.Add((result, string.Empty));
            }
            else if (ResultConverter.CapacityFromPSObject(item) is { } capacity)
            {
                set.Capacities.Add((capacity, string.Empty));
            }
            else
            {
                cmdlet.ThrowTerminatingError(new ErrorRecord(
                    new ArgumentException($"-Baseline '{item}' is neither a path nor a result: pass the path of a file or folder Export-RapidResult wrote, or results (Invoke-RapidScenario, Find-RapidCapacity, Import-RapidResult)."),
                    ErrorIds.NotAScenarioResult,
                    ErrorCategory.InvalidArgument,
                    item));
            }
        }

        return set;
    }

    /// <summary>Tolerances: a -Tolerance key, then RAPID_TEST_TOLERANCE_* variables, then the defaults.</summary>
    public static RapidTolerances Tolerances(PSCmdlet cmdlet, IDictionary? table)
    {
        try
        {
            var warnings = new List<string>();
            var tolerances = ToleranceTable.Resolve(table, Environment.GetEnvironmentVariable, warnings);
            warnings.ForEach(cmdlet.WriteWarning);
            return tolerances;
        }
        catch (ArgumentException ex)
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(ex, ErrorIds.InvalidTolerance, ErrorCategory.InvalidArgument, table));
            throw;
        }
    }

    /// <summary>Writes the report's warnings, and a BaselineNotComparable error for each scenario whose baseline does not fit.</summary>
    public static void Report(PSCmdlet cmdlet, ComparisonReport report)
    {
        report.Warnings.ForEach(cmdlet.WriteWarning);
        foreach (var (scenario, message) in report.NotComparable)
        {
            cmdlet.WriteError(new ErrorRecord(new InvalidDataException(message), ErrorIds.BaselineNotComparable, ErrorCategory.InvalidData, scenario));
        }

        foreach (var row in report.Rows.Where(r => r.Verdict is ComparisonVerdict.Regressed or ComparisonVerdict.Improved))
        {
            cmdlet.WriteVerbose(row.ToString());
        }
    }

    /// <summary>A run's result compared with the baseline: regressions become violations and the outcome is decided again.</summary>
    public static void Judge(PSCmdlet cmdlet, RapidResultSet? baseline, RapidTolerances tolerances, RapidScenarioResult result)
    {
        if (baseline is null)
        {
            return;
        }

        var report = ResultComparer.Compare(baseline, [result], [], tolerances);
        Report(cmdlet, report);
        RapidOutcomes.AddFindings(result, report.Regressions(result.Scenario).ToList());
    }

    /// <summary>A capacity search compared with the baseline: a regressed capacity is a violation, and Passed turns false.</summary>
    public static void Judge(PSCmdlet cmdlet, RapidResultSet? baseline, RapidTolerances tolerances, RapidCapacityResult result)
    {
        if (baseline is null)
        {
            return;
        }

        var report = ResultComparer.Compare(baseline, [], [result], tolerances);
        Report(cmdlet, report);
        var regressions = report.Regressions(result.Scenario);
        result.Violations = result.Violations.Concat(regressions).ToArray();
        result.Passed = result.Violations.Length == 0;
    }

    /// <summary>Reads a path as a baseline; see <see cref="Load"/>.</summary>
    public static RapidResultSet FromPath(PSCmdlet cmdlet, string path, string consequence = NoBaselineRows)
    {
        var full = cmdlet.GetUnresolvedProviderPathFromPSPath(path);
        if (!File.Exists(full) && !Directory.Exists(full))
        {
            cmdlet.WriteWarning($"The baseline '{full}' does not exist yet, so {consequence} (the first run of a pipeline). Export this run with Export-RapidResult to start it.");
            return new RapidResultSet();
        }

        try
        {
            var set = ResultFile.ReadAll(full, bad => cmdlet.WriteWarning(bad.Message + " It is skipped."));
            if (set.IsEmpty)
            {
                cmdlet.WriteWarning($"The baseline '{full}' holds no results yet, so {consequence}. Export runs into it with Export-RapidResult.");
            }

            return set;
        }
        catch (ResultFileException bad)
        {
            cmdlet.ThrowTerminatingError(ToError(bad));
            throw;
        }
    }

    /// <summary>The error record of a result file that cannot be read: one id per problem, the file as its target.</summary>
    public static ErrorRecord ToError(ResultFileException bad) => bad.Problem switch
    {
        ResultFileProblem.Missing => new ErrorRecord(new ItemNotFoundException(bad.Message + " Pass the path of a file or folder Export-RapidResult wrote.", bad), ErrorIds.ResultFileNotFound, ErrorCategory.ObjectNotFound, bad.Path),
        ResultFileProblem.Foreign => new ErrorRecord(bad, ErrorIds.ResultFileForeign, ErrorCategory.InvalidType, bad.Path),
        ResultFileProblem.NewerSchema => new ErrorRecord(bad, ErrorIds.ResultFileTooNew, ErrorCategory.NotImplemented, bad.Path),
        _ => new ErrorRecord(bad, ErrorIds.ResultFileCorrupt, ErrorCategory.InvalidData, bad.Path),
    };

    private static RapidScenarioResult? ToResult(object? item)
    {
        try
        {
            return ResultConverter.FromPSObject(item);
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }
}
