<#
.SYNOPSIS
    The README's demo: starts a mock backend, runs every scenario against it, prints the results,
    writes the HTML report and stops the mock. Run through `dotnet pwsh ./build.ps1 -Task Demo`.
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingWriteHost', '', Justification = 'talks to the person running it; results go to files and the pipeline')]
param(
    [string] $ReportPath = (Join-Path ([IO.Path]::GetTempPath()) 'rapid-demo-report.html')
)
$ErrorActionPreference = 'Stop'
Import-Module RapidMessageTools

$server = Start-RapidMockServer -SetEnvironment
# QueueOverflow needs an agent that can fall behind: a second mock with a small queue and a 2 ms reply delay.
$slow = Start-RapidMockServer -QueueCapacity 50 -ResponseDelay 0.002
try {
    Write-Host "Mock backend at $($server.Url) (health: $($server.HealthUrl))"
    $health = Invoke-RestMethod $server.HealthUrl
    Write-Host "Health: status=$($health.status) connections=$($health.connections)"

    Write-Host "`nScenarios:"
    Get-RapidScenario | Format-Table Name, FailsWhen -AutoSize | Out-String -Width 160 | Write-Host

    $results = @(Get-RapidScenario | Where-Object Name -ne 'QueueOverflow' | Invoke-RapidScenario) +
        @(Invoke-RapidScenario QueueOverflow -Url $slow.Url)
    $results | Format-Table | Out-String -Width 160 | Write-Host

    if (Get-Command Export-RapidReport -ErrorAction SilentlyContinue) {
        $report = $results | Export-RapidReport -Path $ReportPath -Format Html -Force
        Write-Host "HTML report: $($report.FullName)"
    }

    Write-Host "Server stats:"
    $server.Stats | Format-List | Out-Host
    $failed = @($results | Where-Object { -not $_.Passed })
    if ($failed) {
        Write-Host "Failed: $($failed.Scenario -join ', ')"
        foreach ($f in $failed) { $f.Violations | ForEach-Object { Write-Host "  $($f.Scenario): $_" } }
        exit 1
    }
    Write-Host "All $(@($results).Count) scenarios passed."
}
finally {
    $server, $slow | Stop-RapidMockServer
}
