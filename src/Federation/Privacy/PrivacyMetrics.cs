using System.Globalization;
using System.Text.Json.Nodes;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Runs;
using FedLlm.Federation.Strategies;

namespace FedLlm.Federation.Privacy;

/// <summary>
/// Adds the privacy spend to the run's metrics: every round record gets <c>privacy_mode</c>, <c>epsilon</c>, <c>delta</c>,
/// <c>noise_multiplier</c> (dp_sgd: ε is the maximum over all clients so far, with each trained client's own ε under
/// <c>client_privacy</c>; client_dp: the global ε at q = m/N, with <c>clip_norm</c> and <c>sample_rate</c>).
/// </summary>
public sealed class PrivacyMetrics
{
    private readonly string _mode;
    private readonly double _delta;
    private readonly DpFedAvgStrategy? _clientDp;
    private readonly Dictionary<int, double> _clientEpsilon = [];

    /// <param name="earlierRounds">
    /// The round lines already in the run's metrics (on resume): every client's latest reported ε is restored from them,
    /// so the server needs no access to the clients' accountants, which live (and are checkpointed) on the clients.
    /// </param>
    public PrivacyMetrics(PrivacySection privacy, ServerStrategy strategy, IEnumerable<JsonObject> earlierRounds)
    {
        _mode = PrivacySection.Modes.NameOf(privacy.ModeKind);
        _delta = privacy.Delta;
        _clientDp = strategy as DpFedAvgStrategy;
        if (_clientDp is not null) return;
        foreach (var round in earlierRounds)
            foreach (var (id, report) in round["client_privacy"] as JsonObject ?? [])
                if (report?["epsilon"] is JsonValue epsilon)
                    _clientEpsilon[int.Parse(id, CultureInfo.InvariantCulture)] = epsilon.GetValue<double>();
    }

    /// <summary>client_dp: ε of the run so far; dp_sgd: the largest client ε so far.</summary>
    public double Epsilon => _clientDp?.Epsilon ?? (_clientEpsilon.Count == 0 ? 0.0 : _clientEpsilon.Values.Max());

    /// <summary>client_dp with a budget: true when one more round would pass it (the run then ends).</summary>
    public bool RunBudgetExhausted => _clientDp?.BudgetExhausted ?? false;

    public void AddTo(JsonObject record, RoundOutcome outcome)
    {
        double? noise = _clientDp?.Privacy.NoiseMultiplier;
        if (_clientDp is null)
        {
            var perClient = new JsonObject();
            foreach (var result in outcome.Accepted)
            {
                if (result.Metrics.Privacy is not { } report) continue;
                _clientEpsilon[result.Update.ClientId] = report.Epsilon;
                noise = noise is null ? report.NoiseMultiplier : Math.Min(noise.Value, report.NoiseMultiplier);
                perClient[result.Update.ClientId.ToString(CultureInfo.InvariantCulture)] = new JsonObject
                {
                    ["epsilon"] = report.Epsilon,
                    ["noise_multiplier"] = report.NoiseMultiplier,
                    ["sample_rate"] = report.SampleRate,
                    ["steps"] = report.TotalSteps,
                };
            }
            record["client_privacy"] = perClient;
        }
        else
        {
            record["clip_norm"] = _clientDp.ClipNorm;
            record["sample_rate"] = _clientDp.Privacy.SampleRate;
        }
        record["privacy_mode"] = _mode;
        record["epsilon"] = Epsilon;
        record["delta"] = _delta;
        record["noise_multiplier"] = noise;
    }

    /// <summary>The closing <c>{"type":"privacy"}</c> line: final ε and the utility cost against a non-private run when known.</summary>
    public JsonObject Summary(int round, double finalHeldOutLoss, double? nonPrivateHeldOutLoss, bool stoppedEarly) => new()
    {
        ["type"] = "privacy",
        ["round"] = round,
        ["privacy_mode"] = _mode,
        ["epsilon"] = Epsilon,
        ["delta"] = _delta,
        ["noise_multiplier"] = _clientDp?.Privacy.NoiseMultiplier,
        ["clip_norm"] = _clientDp?.ClipNorm,
        ["max_client_epsilon"] = _clientDp is null ? Epsilon : null,
        ["stopped_early"] = stoppedEarly,
        ["final_mean_held_out_loss"] = double.IsNaN(finalHeldOutLoss) ? null : finalHeldOutLoss,
        ["non_private_mean_held_out_loss"] = nonPrivateHeldOutLoss,
        ["utility_loss"] = nonPrivateHeldOutLoss is double baseline && !double.IsNaN(finalHeldOutLoss) ? finalHeldOutLoss - baseline : null,
    };

    /// <summary>
    /// The last mean held-out loss of a finished run's own model (the global model, or the local-only models for
    /// the local baseline), or null. Evaluations of other models written into the same folder are ignored.
    /// </summary>
    public static double? FinalHeldOutLossOf(string runDirectory)
    {
        string metrics = Path.Combine(runDirectory, "metrics.jsonl");
        if (!File.Exists(metrics) || !File.Exists(Path.Combine(runDirectory, "config.json")))
            throw new FileNotFoundException($"{metrics}: privacy.compare_with must name a finished run folder", metrics);
        var run = new RunDirectory(runDirectory);
        bool localOnly = RunConfigJson.Read(run.ConfigFile).StrategyKind.Capabilities.Baseline == BaselineKind.LocalOnly;
        string ownModel = localOnly ? RunMetrics.LocalOnlyModel : RunMetrics.GlobalModel;
        return run.ReadMetrics()
            .LastOrDefault(m => m["type"]?.GetValue<string>() == RunMetrics.EvaluationType && RunMetrics.ModelOf(m) == ownModel)?["mean_held_out_loss"] is JsonValue v
            ? v.GetValue<double>() : null;
    }
}
