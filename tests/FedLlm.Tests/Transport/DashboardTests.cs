using System.Net;
using FedLlm.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FedLlm.Tests.Transport;

/// <summary>
/// The server's live dashboard on its own port, opened in real headless Chromium while a federation of real processes
/// runs: members and their state, the last round, curves, all updating in place; and who may look.
/// </summary>
public class DashboardTests(ITestOutputHelper output)
{
    [ChromiumFact]
    public async Task TheDashboardShowsMembersAndCurvesAndUpdatesWhileTheRunGoes()
    {
        using var federation = new DeploymentFixture(["alice", "bob"], rounds: 40, "fedavg", extraRunYaml: "evaluation:\n  every: 1\n  max_accuracy_examples: 0");
        using var server = federation.StartServer();
        using var alice = federation.StartClient("alice");
        using var bob = federation.StartClient("bob");
        server.WaitFor("round 2/40", TimeSpan.FromMinutes(4));

        await using var browser = await HeadlessChromium.StartAsync(ignoreCertificateErrors: true);
        await browser.OpenAsync($"{federation.Url}/dashboard", TimeSpan.FromSeconds(3));
        string screenshot = HeadlessChromium.ScreenshotPath("dashboard.png");
        await browser.ScreenshotAsync(screenshot);
        output.WriteLine($"screenshot: {screenshot}");

        string text = (await browser.EvaluateAsync("document.body.innerText"))!.GetValue<string>();
        Assert.Contains("alice", text);
        Assert.Contains("bob", text);
        Assert.Contains("connected", text);
        Assert.True(await browser.CountAsync("table") >= 2, "members and last round");
        Assert.True(await browser.CountAsync("figure.chart svg polyline") >= 1, "the train-loss curve");
        int roundsBefore = await RoundsDone(browser);

        // No reload: the page fetches its state again by itself and the count of finished rounds grows.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (await RoundsDone(browser) <= roundsBefore && clock.Elapsed < TimeSpan.FromMinutes(3)) await Task.Delay(1000);
        Assert.True(await RoundsDone(browser) > roundsBefore, $"still {roundsBefore} rounds after {clock.Elapsed}");
        Assert.Contains("live · updated", (await browser.EvaluateAsync("document.getElementById('live-status').textContent"))!.GetValue<string>());
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task MembersModeLetsInOnlyAMembersTokenAndTheDashboardIsReadOnly()
    {
        using var federation = new DeploymentFixture(["alice", "bob"], rounds: 1, "fedavg");
        using var server = federation.StartServer("--server.dashboard", "members");
        server.WaitFor("waiting for", TimeSpan.FromMinutes(2));
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var http = new HttpClient(handler);
        string token = File.ReadAllText(Path.Combine(federation.Root, "certs", "client-alice.token")).Trim();

        var anonymous = await http.GetAsync($"{federation.Url}/dashboard");
        Assert.Equal(HttpStatusCode.Forbidden, anonymous.StatusCode);
        Assert.Contains("member's token", await anonymous.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync($"{federation.Url}/dashboard?token=wrong")).StatusCode);
        var member = await http.GetAsync($"{federation.Url}/dashboard?token={Uri.EscapeDataString(token)}");
        Assert.Equal(HttpStatusCode.OK, member.StatusCode);
        Assert.Contains("not joined", await member.Content.ReadAsStringAsync());
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{federation.Url}/dashboard/state");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(request)).StatusCode);
        // Read-only: nothing but GET is answered.
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.PostAsync($"{federation.Url}/dashboard?token={Uri.EscapeDataString(token)}", null)).StatusCode);
    }

    private static async Task<int> RoundsDone(HeadlessChromium browser)
    {
        string text = (await browser.EvaluateAsync("document.getElementById('report').innerText"))!.GetValue<string>();
        var match = System.Text.RegularExpressions.Regex.Match(text, @"(\d+) of 40 rounds done");
        return match.Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : -1;
    }
}
