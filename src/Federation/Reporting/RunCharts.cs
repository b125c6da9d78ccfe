using System.Globalization;
using System.Text.Json.Nodes;
using FedLlm.Evaluation.Reporting.Html;
using FedLlm.Federation.Runs;

namespace FedLlm.Federation.Reporting;

/// <summary>
/// The charts of a run, built only from its metrics lines, for its HTML report and for the server's live dashboard:
/// train loss, held-out and test loss, accuracy, bytes and ε per round, and per-client bars of the latest evaluation.
/// Chart ids that equal the PNG names of report.md take those figures' places in the HTML.
/// </summary>
public static class RunCharts
{
    public const string EpsilonChart = "report-epsilon";
    public const string ClientLossChart = "report-client-loss";
    public const string ClientAccuracyChart = "report-client-accuracy";

    /// <param name="clientName">A client's name by id, for the per-client bars.</param>
    public static IReadOnlyList<ReportChart> From(IReadOnlyList<JsonObject> metrics, Func<int, string> clientName)
    {
        var rounds = metrics.Where(m => Type(m) == RunMetrics.RoundType).ToList();
        var evaluations = metrics.Where(m => Type(m) == RunMetrics.EvaluationType).ToList();
        var charts = new List<ReportChart>();
        double[] x = [.. rounds.Select(r => r["round"]!.GetValue<int>() + 1.0)];
        if (rounds.Count > 0)
        {
            charts.Add(ReportChart.Lines(RunReport.TrainLossPlot, "Mean client training loss per round", "round", "loss",
                [new ChartSeries("mean train loss", x, [.. rounds.Select(r => RunMetrics.Read(r["mean_train_loss"]))])]));
        }
        if (evaluations.Count > 0)
        {
            var loss = new List<ChartSeries>();
            var accuracy = new List<ChartSeries>();
            foreach (var group in evaluations.GroupBy(RunMetrics.ModelOf))
            {
                // The base model is scored before round 1: it sits at round 0.
                double[] ex = [.. group.Select(e => e["round"]!.GetValue<int>() + 1.0)];
                loss.Add(new ChartSeries($"{group.Key}: mean held-out loss", ex, [.. group.Select(e => RunMetrics.Read(e["mean_held_out_loss"]))]));
                accuracy.Add(new ChartSeries($"{group.Key}: mean held-out accuracy", ex, [.. group.Select(e => RunMetrics.Read(e["mean_accuracy"]))]));
                var tests = group.Where(e => e["test"] is JsonObject).ToList();
                if (tests.Count == 0) continue;
                double[] tx = [.. tests.Select(e => e["round"]!.GetValue<int>() + 1.0)];
                loss.Add(new ChartSeries($"{group.Key}: global test loss", tx, [.. tests.Select(e => RunMetrics.Read(e["test"]!["loss"]))]));
                accuracy.Add(new ChartSeries($"{group.Key}: global test accuracy", tx, [.. tests.Select(e => RunMetrics.Read(e["test"]!["accuracy"]))]));
            }
            charts.Add(ReportChart.Lines(RunReport.HeldOutLossPlot, "Held-out loss per evaluation round", "round", "loss", loss));
            // A run that scored no answers (evaluation.max_accuracy_examples: 0) has no accuracy worth a curve.
            if (evaluations.Any(e => RunMetrics.Scores(e).Any(s => double.IsFinite(s.Accuracy))))
                charts.Add(ReportChart.Lines(RunReport.AccuracyPlot, "Exact-match accuracy per evaluation round", "round", "accuracy", accuracy));
            charts.AddRange(ClientBars(evaluations, clientName));
        }
        if (rounds.Count > 0)
        {
            charts.Add(ReportChart.Lines(RunReport.BytesPlot, "Bytes exchanged per round", "round", "MiB",
            [
                new ChartSeries("server → clients", x, [.. rounds.Select(r => RunMetrics.Read(r["bytes_down"]) / (1 << 20))]),
                new ChartSeries("clients → server", x, [.. rounds.Select(r => RunMetrics.Read(r["bytes_up"]) / (1 << 20))]),
            ]));
            var privateRounds = rounds.Where(r => r["epsilon"] is JsonValue).ToList();
            if (privateRounds.Count > 0)
                charts.Add(ReportChart.Lines(EpsilonChart, "Privacy spent: ε after each round", "round", "ε",
                    [new ChartSeries("ε", [.. privateRounds.Select(r => r["round"]!.GetValue<int>() + 1.0)], [.. privateRounds.Select(r => RunMetrics.Read(r["epsilon"]))])]));
        }
        return charts;
    }

    /// <summary>Held-out loss and accuracy per client, one bar per evaluated model, from each model's latest evaluation.</summary>
    private static IEnumerable<ReportChart> ClientBars(IReadOnlyList<JsonObject> evaluations, Func<int, string> clientName)
    {
        var latest = evaluations.GroupBy(RunMetrics.ModelOf).Select(g => (Model: g.Key, Scores: RunMetrics.Scores(g.Last()))).Where(l => l.Scores.Count > 0).ToList();
        if (latest.Count == 0) yield break;
        var ids = latest.SelectMany(l => l.Scores.Select(s => s.ClientId)).Distinct().Order().ToList();
        var names = ids.Select(id => clientName(id)).ToList();
        ChartSeries Series(string model, IReadOnlyList<Client.ClientScore> scores, Func<Client.ClientScore, double> value) =>
            new(model, [.. ids.Select(id => (double)id)], [.. ids.Select(id => scores.FirstOrDefault(s => s.ClientId == id) is { } s ? value(s) : double.NaN)]);
        yield return ReportChart.Bars(ClientLossChart, "Held-out loss per client (latest evaluation of each model)", "client", "loss", names,
            [.. latest.Select(l => Series(l.Model, l.Scores, s => s.Loss))]);
        if (latest.Any(l => l.Scores.Any(s => double.IsFinite(s.Accuracy))))
            yield return ReportChart.Bars(ClientAccuracyChart, "Held-out accuracy per client (latest evaluation of each model)", "client", "accuracy", names,
                [.. latest.Select(l => Series(l.Model, l.Scores, s => s.Accuracy))]);
    }

    /// <summary>A client's name from the run's split or members, else its id.</summary>
    public static Func<int, string> ClientNames(RunDirectory run)
    {
        var names = new Dictionary<int, string>();
        if (File.Exists(run.SplitFile))
        {
            var split = Splits.ClientSplit.Load(run.SplitFile);
            for (int c = 0; c < split.ClientCount; c++) names[c] = split.NameOf(c);
        }
        else if (File.Exists(run.MembersFile) && JsonNode.Parse(File.ReadAllText(run.MembersFile)) is JsonArray members)
        {
            foreach (var m in members.OfType<JsonObject>()) names[m["client"]!.GetValue<int>()] = m["name"]?.GetValue<string>() ?? "";
        }
        return id => names.TryGetValue(id, out string? name) && name.Length > 0 ? name : id.ToString(CultureInfo.InvariantCulture);
    }

    private static string? Type(JsonObject line) => line["type"]?.GetValue<string>();
}
