using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using FedLlm.Evaluation.Reporting.Html;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Reporting;
using FedLlm.Federation.Runs;

namespace FedLlm.Transport.Server;

/// <summary>
/// What the live dashboard shows, rebuilt from the run's own records on every request: progress, the members and their
/// state (from the run-state database and the last round), the last round's metrics, the latest evaluation, and the
/// run's curves (<see cref="RunCharts"/>, as in its HTML report). Nothing here changes the run.
/// </summary>
public sealed class DashboardView(RunConfig config, ServerSection server, RunDirectory run, RunStateDatabase database, TimeProvider clock)
{
    public const string StatePath = "/dashboard/state";

    /// <summary>The state as the page's script reads it: the body's HTML and the chart data.</summary>
    public JsonObject State()
    {
        var metrics = run.ReadMetrics().ToList();
        var names = server.Clients.Select(c => c.Name).ToList();
        var charts = RunCharts.From(metrics, id => id < names.Count ? names[id] : id.ToString(CultureInfo.InvariantCulture));
        return new JsonObject
        {
            ["html"] = MarkdownHtml.ToHtml(Markdown(metrics, charts), (_, id) => HtmlReport.Placeholder(id)),
            ["charts"] = HtmlReport.ChartJson(charts),
        };
    }

    /// <summary>The whole page: the current state, with the script told to refresh it from <see cref="StatePath"/>.</summary>
    public string Page()
    {
        var state = State();
        return HtmlReport.Page($"FedLlm server: {config.Name}", state["html"]!.GetValue<string>(), state["charts"]!.ToJsonString(), StatePath);
    }

    private string Markdown(IReadOnlyList<JsonObject> metrics, IReadOnlyList<ReportChart> charts)
    {
        var rounds = metrics.Where(m => Type(m) == RunMetrics.RoundType).ToList();
        var last = rounds.LastOrDefault();
        bool finished = File.Exists(run.ReportFile) && rounds.Count > 0 && rounds[^1]["round"]!.GetValue<int>() + 1 >= config.Rounds;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# {config.Name}: live dashboard\n\n");
        text.Append(CultureInfo.InvariantCulture,
            $"`{config.Strategy.Algorithm}`, {rounds.Count} of {config.Rounds} rounds done — **{(finished ? "finished" : rounds.Count == 0 ? "waiting for members" : $"round {rounds.Count + 1} running")}**. ");
        text.Append(CultureInfo.InvariantCulture, $"Read-only view of `{run.Path}`, as of {clock.GetUtcNow():HH:mm:ss} UTC.\n\n");
        text.Append("## Members\n\n| client | name | state | joined | last seen | joins | last round |\n|---:|---|---|---|---|---:|---|\n");
        var activity = database.Members().ToDictionary(m => m.ClientId);
        for (int id = 0; id < server.Clients.Count; id++)
        {
            var entry = server.Clients[id];
            activity.TryGetValue(id, out var seen);
            string state = entry.Revoked ? "revoked" : seen is null ? "not joined" : Ago(seen.LastSeen) is { } ago && ago.TotalSeconds < 3 * Math.Max(10, server.RoundDeadlineSeconds) ? "connected" : "silent";
            text.Append(CultureInfo.InvariantCulture,
                $"| {id} | {Cell(entry.Name)} | {state} | {Time(seen?.JoinedAt)} | {AgoText(seen?.LastSeen)} | {seen?.Joins ?? 0} | {LastRound(last, id)} |\n");
        }
        text.Append('\n');
        if (last is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"## Last round ({last["round"]!.GetValue<int>() + 1})\n\n| measure | value |\n|---|---|\n");
            // The heading numbers the round from 1 as the rest of the page does; the record's own 0-based round and its
            // type would only contradict it.
            foreach (var (key, value) in last)
                if (value is JsonValue && key is not ("round" or "type")) text.Append(CultureInfo.InvariantCulture, $"| {key} | {Cell(value.ToJsonString().Trim('"'))} |\n");
            text.Append('\n');
        }
        var evaluation = metrics.LastOrDefault(m => Type(m) == RunMetrics.EvaluationType);
        if (evaluation is not null)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"## Latest evaluation ({RunMetrics.ModelOf(evaluation)} model, after round {evaluation["round"]!.GetValue<int>() + 1})\n\n| client | loss | accuracy | examples |\n|---:|---:|---:|---:|\n");
            foreach (var score in RunMetrics.Scores(evaluation))
                text.Append(CultureInfo.InvariantCulture, $"| {score.ClientId} | {Number(score.Loss, "F4")} | {Number(score.Accuracy, "P1")} | {score.Examples} |\n");
            text.Append('\n');
        }
        text.Append("## Curves\n\n");
        foreach (var chart in charts) text.Append(CultureInfo.InvariantCulture, $"![{chart.Title}]({chart.Id})\n\n");
        if (charts.Count == 0) text.Append("The curves appear once the first round is done.\n\n");
        return text.ToString();
    }

    /// <summary>What the member did in the last finished round: accepted, rejected (with reason) or not sampled.</summary>
    private static string LastRound(JsonObject? round, int id)
    {
        if (round is null) return "–";
        if ((round["rejected"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(r => r["client"]?.GetValue<int>() == id) is { } rejected)
            return "rejected: " + Cell(rejected["reason"]?.GetValue<string>() ?? "");
        bool sampled = (round["sampled"] as JsonArray ?? []).Any(s => s?.GetValue<int>() == id);
        return !sampled ? "not sampled" : round["train_loss"]?[id.ToString(CultureInfo.InvariantCulture)] is JsonValue loss ? $"trained, loss {loss.GetValue<double>():F4}" : "sampled";
    }

    private TimeSpan? Ago(DateTimeOffset? time) => time is null ? null : clock.GetUtcNow() - time.Value;

    private string AgoText(DateTimeOffset? time) => Ago(time) is { } ago ? $"{Math.Max(0, ago.TotalSeconds):F0} s ago" : "–";

    private static string Number(double value, string format) => double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : "–";

    private static string Time(DateTimeOffset? time) => time?.ToString("HH:mm:ss", CultureInfo.InvariantCulture) ?? "–";

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private static string? Type(JsonObject line) => line["type"]?.GetValue<string>();
}
