using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace FedLlm.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium, headless, driven over the DevTools protocol: opens a page, waits for it to load and settle, and
/// reports what a person would see (a screenshot, element counts) and every console error, uncaught exception and
/// failed load the page caused. Installed by .ci/run; tests that need it are <see cref="ChromiumFactAttribute"/>s.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    public const string Executable = "/usr/bin/chromium";

    public const string MissingMessage = Executable + " is missing: install Debian's chromium package (apt-get install chromium; .ci/run does it)";

    public static bool Installed => File.Exists(Executable);

    /// <summary>Whether this is a CI run (CI set to anything but false or 0), where a missing browser is a failure, not a skip.</summary>
    public static bool RequiredByCi => Environment.GetEnvironmentVariable("CI") is { Length: > 0 } ci && ci != "0" && !ci.Equals("false", StringComparison.OrdinalIgnoreCase);

    private readonly Process _process;
    private readonly TempDirectory _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly List<string> _errors = [];
    private readonly Dictionary<int, TaskCompletionSource<JsonObject>> _pending = [];
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _reader;
    private int _nextId;
    private string? _session;

    private HeadlessChromium(Process process, TempDirectory profile)
    {
        _process = process;
        _profile = profile;
    }

    /// <summary>Console errors, uncaught exceptions and failed loads seen so far.</summary>
    public IReadOnlyList<string> Errors
    {
        get { lock (_errors) return [.. _errors]; }
    }

    /// <param name="ignoreCertificateErrors">Accept the test federation's self-signed TLS certificate.</param>
    public static async Task<HeadlessChromium> StartAsync(bool ignoreCertificateErrors = false)
    {
        if (!Installed) throw new InvalidOperationException(MissingMessage);
        var profile = new TempDirectory();
        var start = new ProcessStartInfo(Executable) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        // As root Chromium needs --no-sandbox; the network flags keep it from calling home on a closed network.
        foreach (string arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--disable-extensions", "--hide-scrollbars", "--window-size=1200,1600",
                     "--remote-debugging-port=0", "--user-data-dir=" + profile.Path })
            start.ArgumentList.Add(arg);
        if (ignoreCertificateErrors) start.ArgumentList.Add("--ignore-certificate-errors");
        start.ArgumentList.Add("about:blank");
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start chromium");
        var browser = new HeadlessChromium(process, profile);
        try
        {
            string endpoint = await browser.DevToolsEndpointAsync(TimeSpan.FromSeconds(90));
            await browser._socket.ConnectAsync(new Uri(endpoint), CancellationToken.None);
            browser._reader = Task.Run(browser.ReadLoopAsync);
            var target = await browser.SendAsync("Target.createTarget", new JsonObject { ["url"] = "about:blank" });
            var attached = await browser.SendAsync("Target.attachToTarget", new JsonObject { ["targetId"] = target["targetId"]!.GetValue<string>(), ["flatten"] = true });
            browser._session = attached["sessionId"]!.GetValue<string>();
            foreach (string domain in new[] { "Page.enable", "Runtime.enable", "Log.enable" }) await browser.SendAsync(domain, []);
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    /// <summary>Opens <paramref name="url"/> and waits for its load event, then <paramref name="settle"/> for scripts to run.</summary>
    public async Task OpenAsync(string url, TimeSpan settle)
    {
        _loaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await SendAsync("Page.navigate", new JsonObject { ["url"] = url });
        if (await Task.WhenAny(_loaded.Task, Task.Delay(TimeSpan.FromSeconds(60))) != _loaded.Task) throw new TimeoutException($"{url} did not finish loading");
        await Task.Delay(settle);
    }

    /// <summary>The value of a JavaScript expression in the page.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true });
        if (result["exceptionDetails"] is not null) throw new InvalidOperationException($"evaluating {expression}: {result["exceptionDetails"]}");
        return result["result"]?["value"]?.DeepClone();
    }

    public async Task<int> CountAsync(string selector) => (await EvaluateAsync($"document.querySelectorAll({Quote(selector)}).length"))!.GetValue<int>();

    /// <summary>A PNG of the whole page.</summary>
    public async Task ScreenshotAsync(string path)
    {
        var shot = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true });
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllBytesAsync(path, Convert.FromBase64String(shot["data"]!.GetValue<string>()));
    }

    /// <summary>Where tests put their screenshots: TestResults/screenshots under the repository (ignored by git).</summary>
    public static string ScreenshotPath(string name) => Path.Combine(SharedData.RepositoryRoot, "TestResults", "screenshots", name);

    private static string Quote(string text) => System.Text.Json.JsonSerializer.Serialize(text);

    private async Task<string> DevToolsEndpointAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var seen = new StringBuilder();
        while (clock.Elapsed < timeout)
        {
            var line = await _process.StandardError.ReadLineAsync().WaitAsync(timeout);
            if (line is null) break;
            seen.AppendLine(line);
            const string marker = "DevTools listening on ";
            int at = line.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                // Keep draining Chromium's stderr so it never blocks on a full pipe.
                _ = Task.Run(async () => { while (await _process.StandardError.ReadLineAsync() is not null) { } });
                _ = Task.Run(async () => { while (await _process.StandardOutput.ReadLineAsync() is not null) { } });
                return line[(at + marker.Length)..].Trim();
            }
        }
        throw new TimeoutException($"chromium printed no DevTools address within {timeout.TotalSeconds:0} s:\n{seen}");
    }

    private async Task<JsonObject> SendAsync(string method, JsonObject parameters)
    {
        var source = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        int id;
        lock (_pending)
        {
            id = ++_nextId;
            _pending[id] = source;
        }
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters };
        if (_session is not null && !method.StartsWith("Target.", StringComparison.Ordinal)) message["sessionId"] = _session;
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
        if (await Task.WhenAny(source.Task, Task.Delay(TimeSpan.FromSeconds(60))) != source.Task) throw new TimeoutException($"chromium did not answer {method}");
        return await source.Task;
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[1 << 16];
        var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested && _socket.State == WebSocketState.Open)
            {
                var received = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (received.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, received.Count);
                if (!received.EndOfMessage) continue;
                var json = JsonNode.Parse(message.ToArray())!.AsObject();
                message.SetLength(0);
                Handle(json);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }
    }

    private void Handle(JsonObject message)
    {
        if (message["id"] is JsonValue idValue)
        {
            TaskCompletionSource<JsonObject>? source;
            lock (_pending) _pending.Remove(idValue.GetValue<int>(), out source);
            if (message["error"] is JsonNode error) source?.TrySetException(new InvalidOperationException($"DevTools error: {error}"));
            else source?.TrySetResult(message["result"] as JsonObject ?? []);
            return;
        }
        var parameters = message["params"] as JsonObject ?? [];
        switch (message["method"]?.GetValue<string>())
        {
            case "Page.loadEventFired":
                _loaded.TrySetResult();
                break;
            case "Runtime.exceptionThrown":
                var details = parameters["exceptionDetails"] as JsonObject ?? [];
                var exception = details["exception"] as JsonObject ?? [];
                Record("uncaught: " + (exception["description"] ?? details["text"]));
                break;
            case "Runtime.consoleAPICalled":
                string type = parameters["type"]?.GetValue<string>() ?? "";
                if (type is not ("error" or "assert")) break;
                var args = (parameters["args"] as JsonArray ?? []).OfType<JsonObject>().Select(a => a["value"] ?? a["description"]);
                Record($"console.{type}: {string.Join(" ", args)}");
                break;
            case "Log.entryAdded":
                var entry = parameters["entry"] as JsonObject ?? [];
                if (entry["level"]?.GetValue<string>() == "error") Record($"log: {entry["text"]} {entry["url"]}");
                break;
        }
    }

    private void Record(string error)
    {
        lock (_errors) _errors.Add(error);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try
        {
            if (_socket.State == WebSocketState.Open) await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        }
        catch (WebSocketException)
        {
        }
        if (_reader is not null) await Task.WhenAny(_reader, Task.Delay(2000));
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _socket.Dispose();
        _stop.Dispose();
        _profile.Dispose();
    }
}
