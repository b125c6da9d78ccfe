using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using FedLlm.Evaluation.Reporting;
using FedLlm.Evaluation.Reporting.Html;
using FedLlm.Federation.Client;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Federation.Splits;

namespace FedLlm.Federation.Reporting;

/// <summary>
/// <c>report.md</c> of a run folder, built only from its files (config.json, split.json or members.json, metrics.jsonl),
/// so <c>fedllm report RUN_DIR</c> can regenerate it at any time: who the privacy guarantee protects, the config in
/// brief, the federation's members, a summary, per-client held-out scores of every evaluated model (base, local-only,
/// global) and PNG curves next to it. A deployed run has no split: its report shows the members that joined.
/// </summary>
public static class RunReport
{
    public const string TrainLossPlot = "report-train-loss.png";
    public const string HeldOutLossPlot = "report-held-out-loss.png";
    public const string AccuracyPlot = "report-accuracy.png";
    public const string BytesPlot = "report-bytes.png";

    /// <summary>Model labels in the order the per-client table shows them.</summary>
    private static readonly string[] ModelOrder = [RunMetrics.BaseModel, RunMetrics.LocalOnlyModel, RunMetrics.GlobalModel];

    /// <summary>Writes report.md, its PNGs and report.html (<see cref="RunHtmlReport"/>) into the run folder; returns report.md's path.</summary>
    public static string Write(RunDirectory run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var config = RunConfigJson.Read(run.ConfigFile);
        ClientSplit? split = File.Exists(run.SplitFile) ? ClientSplit.Load(run.SplitFile) : null;
        var members = ReadMembers(run);
        var metrics = run.ReadMetrics().ToList();
        var rounds = metrics.Where(m => Type(m) == RunMetrics.RoundType).ToList();
        var evaluations = metrics.Where(m => Type(m) == RunMetrics.EvaluationType).ToList();

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# Run report: {config.Name}\n\n");
        if (config.Privacy.Enabled)
            text.Append(CultureInfo.InvariantCulture, $"**Privacy:** {config.Privacy.ProtectionStatement(config.Encryption.Enabled)}\n\n");
        int clientCount = split?.ClientCount ?? members.Count;
        text.Append(CultureInfo.InvariantCulture,
            $"{config.MethodKind.ToString().ToUpperInvariant()} with **{config.Strategy.Algorithm}**, {(clientCount > 0 ? clientCount.ToString(CultureInfo.InvariantCulture) : "?")} clients, " +
            $"{rounds.Count} of {config.Rounds} rounds completed ({rounds.Count(r => r["failed"] is not null)} failed). " +
            $"Built from `metrics.jsonl`; regenerate with `fedllm report {run.Path}`.\n\n");
        WriteConfig(text, config, split);
        WriteMembers(text, members, split is not null);
        WriteSummary(text, rounds, evaluations);
        WriteClientTable(text, evaluations, split, members);
        WritePrivacy(text, metrics.LastOrDefault(m => Type(m) == PrivacyType));
        WriteSafety(text, config, metrics);
        WriteCurves(text, run, metrics);
        File.WriteAllText(run.ReportFile, text.ToString());
        RunHtmlReport.Write(run, text.ToString());
        return run.ReportFile;
    }

    /// <summary>The attack, the defense runs and the refusal rates (metrics' defense and safety lines); nothing when the run had none.</summary>
    private static void WriteSafety(StringBuilder text, RunConfig config, IReadOnlyList<JsonObject> metrics)
    {
        var defenses = metrics.Where(m => Type(m) == Safety.ServerSafety.DefenseType).ToList();
        var safety = metrics.Where(m => Type(m) == Safety.ServerSafety.SafetyType).ToList();
        if (!config.Attack.Enabled && defenses.Count == 0 && safety.Count == 0) return;
        text.Append("## Safety\n\n");
        if (config.Attack.Enabled)
            text.Append($"Malicious clients: {string.Join(", ", config.Attack.MaliciousIds().Order())} " +
                                                      $"(attack data: {(config.Attack.Data is not null ? $"`{config.Attack.Data}`" : "MaliciousGen")}).\n\n");
        foreach (var d in defenses)
            text.Append($"Defense level {d["level"]} after round {(int)d["round"]! + 1}: {d["steps"]} server steps on " +
                                                      $"{d["aligned_samples"]} aligned and {d["normal_samples"]} normal samples (loss {F(d["train_loss"]!.GetValue<double>())}); " +
                                                      "the undefended adapter is kept in `adapter-undefended/`.\n\n");
        if (safety.Count == 0) return;
        text.Append("| model | refusal rate | prompts | judge safe rate |\n|---|---:|---:|---:|\n");
        foreach (var m in safety)
            text.Append($"| {m["model"]} | {(m["refusal_rate"] is JsonValue r ? F(r.GetValue<double>()) : "–")} | {m["prompts"]} | " +
                                                      $"{(m["judge_safe_rate"] is JsonValue j ? F(j.GetValue<double>()) : "–")} |\n");
        text.Append("\nRefusal rate: answers containing a refusal phrase (docs/safety.md), sampled at the configured temperature and top-p; every answer is in `safety.json`.\n\n");
    }

    private static void WriteConfig(StringBuilder text, RunConfig c, ClientSplit? split)
    {
        string splitText = c.Split.MethodKind switch
        {
            SplitMethods.Natural => $"natural by `{c.Split.Field}`",
            SplitMethods.DirichletLabel => $"Dirichlet label skew on `{c.Split.Field}`, α = {F(c.Split.Alpha)}",
            SplitMethods.QuantityDirichlet => $"Dirichlet quantity skew, α = {F(c.Split.Alpha)}",
            var method => method,
        };
        if (split is not null)
        {
            var sizes = split.Sizes();
            splitText += $"; {split.ClientCount} clients, {split.AssignedCount} records, {sizes.Min()}–{sizes.Max()} per client";
        }
        string perRound = c.Strategy.ClientsPerRound is int k ? k.ToString(CultureInfo.InvariantCulture)
            : c.Strategy.ClientFraction is double f ? $"fraction {F(f)}" : "all";
        string test = c.Data.TestPath is not null ? $"`{c.Data.TestPath}`" : c.Data.TestFraction > 0 ? $"{F(c.Data.TestFraction)} of the pooled records" : "none";
        text.Append("## Configuration\n\n| setting | value |\n|---|---|\n");
        Row(text, "model", c.Model.Path is not null ? $"`{c.Model.Path}`" : $"random `{c.Model.Preset}` preset");
        if (split is not null)
        {
            // A deployed server holds no data: its data keys describe nothing, so only a simulation shows them.
            Row(text, "data", (c.Data.Path is not null ? $"`{c.Data.Path}`" : $"built-in demo tasks ({c.Data.DemoRecords} records)") + $", template `{c.Data.Template}`");
            Row(text, "split", splitText);
            Row(text, "held-out fraction per client", F(c.Data.HeldOutFraction));
            Row(text, "global test set", test);
        }
        Row(text, "method", c.IsDpo ? $"DPO, β = {F(c.Dpo.Beta)} (reference: the base with adapters off)" : "SFT");
        Row(text, "strategy", $"`{c.Strategy.Algorithm}`, clients per round: {perRound}");
        Row(text, "client learning rate", $"{F(c.Training.LearningRate)} → {F(c.Training.MinLearningRate)} ({c.Training.Schedule} over rounds)");
        Row(text, "local training", $"{c.Training.StepsPerRound} steps × batch {c.Training.BatchSize} × accumulation {c.Training.GradientAccumulation}, " +
                                    $"max length {c.Training.MaxSequenceLength}, clip {F(c.Training.MaxGradNorm)}");
        if (c.Privacy.Enabled) Row(text, "privacy", $"`{c.Privacy.Mode}`, δ = {F(c.Privacy.Delta)}, clip {F(c.Privacy.ClipNorm)}");
        if (c.Encryption.Enabled) Row(text, "encryption", $"RLWE sum of deltas, pruning `{c.Encryption.Pruning}`");
        Row(text, "LoRA", $"r = {c.Lora.Rank}, α = {F(c.Lora.Alpha)}, dropout {F(c.Lora.Dropout)}, targets `{c.Lora.Targets}`{(c.Lora.UseRsLora ? ", rsLoRA" : "")}");
        Row(text, "seed", c.Seed.ToString(CultureInfo.InvariantCulture));
        text.Append('\n');
    }

    /// <summary>The members as the run saw them: for a deployment, the clients that actually took part.</summary>
    private static void WriteMembers(StringBuilder text, IReadOnlyList<FederationMember> members, bool simulated)
    {
        if (members.Count == 0) return;
        text.Append(simulated ? "## Clients\n\n" : "## Federation (members that joined)\n\n");
        text.Append("| client | name | training records | held-out records |\n|---:|---|---:|---:|\n");
        foreach (var m in members)
            text.Append(CultureInfo.InvariantCulture, $"| {m.ClientId} | {m.Name.Replace("|", "\\|", StringComparison.Ordinal)} | {m.TrainRecords} | {m.HeldOutRecords} |\n");
        text.Append(CultureInfo.InvariantCulture, $"\n{members.Count} members, {members.Sum(m => m.TrainRecords)} training records in all.\n\n");
    }

    private static IReadOnlyList<FederationMember> ReadMembers(RunDirectory run)
    {
        if (!File.Exists(run.MembersFile)) return [];
        return (JsonNode.Parse(File.ReadAllText(run.MembersFile)) as JsonArray ?? []).OfType<JsonObject>()
            .Select(m => new FederationMember(m["client"]!.GetValue<int>(), m["name"]?.GetValue<string>() ?? "",
                m["train_records"]?.GetValue<long>() ?? 0, m["held_out_records"]?.GetValue<long>() ?? 0))
            .ToList();
    }

    private static void WriteSummary(StringBuilder text, IReadOnlyList<JsonObject> rounds, IReadOnlyList<JsonObject> evaluations)
    {
        text.Append("## Summary\n\n| measure | value |\n|---|---|\n");
        var losses = rounds.Select(r => RunMetrics.Read(r["mean_train_loss"])).Where(double.IsFinite).ToList();
        if (losses.Count > 0) Row(text, "mean train loss, first → last round", $"{F4(losses[0])} → {F4(losses[^1])}");
        foreach (string model in ModelOrder)
        {
            var last = evaluations.LastOrDefault(e => RunMetrics.ModelOf(e) == model);
            if (last is null) continue;
            string when = model == RunMetrics.BaseModel ? "before training" : $"after round {last["round"]!.GetValue<int>() + 1}";
            Row(text, $"{model}: mean held-out loss / perplexity / accuracy ({when})",
                $"{F4(RunMetrics.Read(last["mean_held_out_loss"]))} / {F4(RunMetrics.Read(last["mean_held_out_perplexity"]))} / {P(RunMetrics.Read(last["mean_accuracy"]))}");
            if (last["test"] is JsonObject t)
                Row(text, $"{model}: global test loss / perplexity / accuracy ({t["examples"]} records)",
                    $"{F4(RunMetrics.Read(t["loss"]))} / {F4(RunMetrics.Read(t["perplexity"]))} / {P(RunMetrics.Read(t["accuracy"]))}");
        }
        if (rounds.Count > 0)
        {
            var bytes = rounds.Select(Bytes).ToList();
            Row(text, "bytes exchanged per round (mean) / in total", $"{Mib(bytes.Average())} / {Mib(bytes.Sum())}");
            Row(text, "seconds per round (mean)", F(Math.Round(rounds.Average(r => RunMetrics.Read(r["seconds"])), 2)));
            int rejected = rounds.Sum(r => (r["rejected"] as JsonArray)?.Count ?? 0);
            Row(text, "rejected client updates", rejected.ToString(CultureInfo.InvariantCulture));
        }
        text.Append('\n');
    }

    private static void WriteClientTable(StringBuilder text, IReadOnlyList<JsonObject> evaluations, ClientSplit? split, IReadOnlyList<FederationMember> members)
    {
        var columns = ModelOrder
            .Select(model => (Model: model, Scores: evaluations.LastOrDefault(e => RunMetrics.ModelOf(e) == model) is { } e ? RunMetrics.Scores(e) : null))
            .Where(c => c.Scores is not null)
            .ToList();
        if (columns.Count == 0) return;
        text.Append("## Per-client held-out scores (latest evaluation of each model)\n\nLoss (lower is better) and exact-match accuracy (higher is better) on each client's own held-out records.\n\n");
        text.Append("| client | name | held-out |");
        foreach (var (model, _) in columns) text.Append(CultureInfo.InvariantCulture, $" {model} loss | {model} accuracy |");
        text.Append("\n|---|---|---:|");
        foreach (var _ in columns) text.Append("---:|---:|");
        text.Append('\n');
        var ids = columns[0].Scores!.Select(s => s.ClientId).ToList();
        foreach (int id in ids)
        {
            string name = split is not null && id < split.ClientCount ? split.NameOf(id)
                : members.FirstOrDefault(m => m.ClientId == id)?.Name ?? id.ToString(CultureInfo.InvariantCulture);
            int examples = columns[0].Scores!.First(s => s.ClientId == id).Examples;
            text.Append(CultureInfo.InvariantCulture, $"| {id} | {name.Replace("|", "\\|", StringComparison.Ordinal)} | {examples} |");
            foreach (var (_, scores) in columns)
            {
                var score = scores!.FirstOrDefault(s => s.ClientId == id);
                text.Append(CultureInfo.InvariantCulture, $" {F4(score?.Loss ?? double.NaN)} | {P(score?.Accuracy ?? double.NaN)} |");
            }
            text.Append('\n');
        }
        text.Append("| **mean** | | |");
        foreach (var (_, scores) in columns)
        {
            var (loss, accuracy) = ClientEvaluator.Mean(scores!);
            text.Append(CultureInfo.InvariantCulture, $" **{F4(loss)}** | **{P(accuracy)}** |");
        }
        text.Append("\n\n");
    }

    /// <summary>The run's curves as PNGs beside the report (the same charts the HTML report draws, from <see cref="RunCharts"/>).</summary>
    private static void WriteCurves(StringBuilder text, RunDirectory run, IReadOnlyList<JsonObject> metrics)
    {
        text.Append("## Curves\n\n");
        foreach (var chart in RunCharts.From(metrics, id => id.ToString(CultureInfo.InvariantCulture)))
        {
            if (chart.Kind != ReportChart.LinesKind || !chart.Id.EndsWith(".png", StringComparison.Ordinal)) continue;
            PlotWriter.Lines(run.File(chart.Id), chart.Title, chart.XLabel, chart.YLabel, [.. chart.Series.Select(s => new PlotSeries(s.Label, s.X, s.Y))]);
            text.Append(CultureInfo.InvariantCulture, $"![{chart.Title}]({chart.Id})\n\n");
        }
    }

    private const string PrivacyType = "privacy";

    /// <summary>The privacy spent (ε at δ) and what it cost in held-out loss against the run named in privacy.compare_with.</summary>
    private static void WritePrivacy(StringBuilder text, JsonObject? privacy)
    {
        if (privacy is null) return;
        string Value(string key) => privacy[key] is JsonValue v
            ? (v.TryGetValue(out double d) ? F(d) : v.ToString())
            : "–";
        text.Append("## Privacy\n\n| measure | value |\n|---|---|\n");
        Row(text, "mode", Value("privacy_mode"));
        Row(text, "ε spent (whole run)", Value("epsilon"));
        Row(text, "δ", Value("delta"));
        Row(text, "noise multiplier σ", Value("noise_multiplier"));
        Row(text, "clip norm", Value("clip_norm"));
        Row(text, "stopped early (budget)", Value("stopped_early"));
        Row(text, "final mean held-out loss", Value("final_mean_held_out_loss"));
        Row(text, "non-private mean held-out loss", Value("non_private_mean_held_out_loss"));
        Row(text, "utility loss (private − non-private)", Value("utility_loss"));
        text.Append('\n');
    }

    private static string? Type(JsonObject line) => line["type"]?.GetValue<string>();

    private static double Bytes(JsonObject round) => RunMetrics.Read(round["bytes_down"]) + RunMetrics.Read(round["bytes_up"]);

    private static void Row(StringBuilder text, string key, string value) => text.Append(CultureInfo.InvariantCulture, $"| {key} | {value} |\n");

    private static string F(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    private static string F4(double value) => double.IsFinite(value) ? value.ToString("F4", CultureInfo.InvariantCulture) : "–";

    private static string P(double value) => double.IsFinite(value) ? value.ToString("P1", CultureInfo.InvariantCulture) : "–";

    private static string Mib(double bytes) => (bytes / (1 << 20)).ToString("F3", CultureInfo.InvariantCulture) + " MiB";
}
