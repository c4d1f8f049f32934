# Headless Chromium for the HTML reports' render checks (dot-source it): the browser if one is installed, and a
# probe that loads a page with a small script measuring every chart's text and points against its svg's box, so
# anything drawn outside its chart (clipped when shown) is named in the body's data-clipped attribute.

function Get-Chromium {
    Get-Command chromium, chromium-browser -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
}

function Invoke-Chromium([string] $Chromium, [string] $ProfileDirectory, [string[]] $Arguments, [int] $TimeoutMs = 90000) {
    $psi = [Diagnostics.ProcessStartInfo]::new($Chromium)
    foreach ($arg in @('--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
            '--disable-sync', '--no-first-run', "--user-data-dir=$ProfileDirectory") + $Arguments) { $psi.ArgumentList.Add($arg) }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.UseShellExecute = $false
    $p = [Diagnostics.Process]::Start($psi)
    $out = $p.StandardOutput.ReadToEndAsync()
    $null = $p.StandardError.ReadToEndAsync()
    if (-not $p.WaitForExit($TimeoutMs)) { $p.Kill($true); throw "Chromium did not finish in $($TimeoutMs / 1000) s." }
    $out.Result
}

# Writes $Html to $Directory, screenshots it to $Screenshot (when given), and returns the DOM of the probed copy:
# its body has data-clipped="none", or "svg-id:text|..." for what lies outside its chart.
function Invoke-ChromiumProbe([string] $Chromium, [string] $Html, [string] $Directory, [string] $Name, [string] $Screenshot) {
    $chromeProfile = Join-Path $Directory "chromium-profile-$Name"
    $file = Join-Path $Directory "$Name.html"
    Set-Content -Path $file -Value $Html -Encoding utf8
    $check = '<script>window.onload=function(){var bad=[];document.querySelectorAll("svg").forEach(function(s){var r=s.getBoundingClientRect();s.querySelectorAll("text,circle").forEach(function(t){var b=t.getBoundingClientRect();if(b.left<r.left-1||b.right>r.right+1||b.top<r.top-1||b.bottom>r.bottom+1){bad.push(s.id+":"+(t.textContent||t.tagName))}})});document.body.setAttribute("data-clipped",bad.join("|")||"none")}</script>'
    $probe = Join-Path $Directory "$Name-probe.html"
    Set-Content -Path $probe -Value ($Html -replace '</body>', "$check</body>") -Encoding utf8
    if ($Screenshot) { $null = Invoke-Chromium $Chromium $chromeProfile @("--screenshot=$Screenshot", '--window-size=1280,4000', $file) }
    Invoke-Chromium $Chromium $chromeProfile @('--dump-dom', $probe)
}
