using System.Collections.Generic;
using System.Linq;

namespace RapidMessageTools.Results;

/// <summary>The verdict of a run.</summary>
public enum RapidOutcome
{
    /// <summary>The run exercised what the scenario tests and stayed within every limit.</summary>
    Passed,

    /// <summary>A violation: the evidence shows a defect or a crossed limit.</summary>
    Failed,

    /// <summary>The run could not provoke what the scenario tests (a queue that never filled, nothing sent): it proves nothing either way.</summary>
    Inconclusive,

    /// <summary>Stopped by the user (Ctrl+C) before the end: the figures are partial.</summary>
    Interrupted,
}

/// <summary>How violations make a verdict.</summary>
public static class RapidOutcomes
{
    /// <summary>Findings that say the run could not judge the backend, not that the backend is at fault.</summary>
    public static bool IsInconclusive(string code) =>
        code is ViolationCode.NotProvoked or ViolationCode.ProtocolMismatch or ViolationCode.ProtocolUnsupported or ViolationCode.NeedsMessageIds;

    /// <summary>Interrupted when stopped; Failed on any defect or crossed limit; Inconclusive when the only findings say the run proved nothing; else Passed.</summary>
    public static RapidOutcome Decide(IEnumerable<RapidViolation> violations, bool interrupted)
    {
        if (interrupted)
        {
            return RapidOutcome.Interrupted;
        }

        var codes = violations.Select(v => v.Code).ToList();
        if (codes.Count == 0)
        {
            return RapidOutcome.Passed;
        }

        return codes.All(IsInconclusive) ? RapidOutcome.Inconclusive : RapidOutcome.Failed;
    }

    /// <summary>
    /// Adds findings made after the run (regressions against a baseline) to <paramref name="result"/> and decides its
    /// outcome again, by <see cref="Decide"/>; an interrupted run stays Interrupted.
    /// </summary>
    public static void AddFindings(RapidScenarioResult result, IReadOnlyCollection<RapidViolation> findings)
    {
        if (result is null)
        {
            throw new System.ArgumentNullException(nameof(result));
        }

        if (findings is null || findings.Count == 0)
        {
            return;
        }

        result.Violations = result.Violations.Concat(findings).ToArray();
        result.Outcome = Decide(result.Violations, result.Outcome == RapidOutcome.Interrupted);
        result.Passed = result.Outcome == RapidOutcome.Passed;
    }
}
