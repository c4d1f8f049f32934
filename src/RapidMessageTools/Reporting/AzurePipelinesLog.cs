namespace RapidMessageTools.Reporting;

/// <summary>Azure Pipelines logging commands, escaped as Azure requires.</summary>
public static class AzurePipelinesLog
{
    /// <summary>A <c>##vso[task.logissue type=error]</c> line for <paramref name="text"/>.</summary>
    public static string LogIssue(string text) => "##vso[task.logissue type=error]" + Escape(text);

    /// <summary>A <c>##vso[task.uploadsummary]</c> line attaching a Markdown file to the run's summary.</summary>
    public static string UploadSummary(string path) => "##vso[task.uploadsummary]" + Escape(path);

    /// <summary>Azure's escaping of logging-command data: % \r \n ] ;.</summary>
    public static string Escape(string text) =>
        (text ?? string.Empty).Replace("%", "%AZP25").Replace("\r", "%0D").Replace("\n", "%0A").Replace("]", "%5D").Replace(";", "%3B");
}
