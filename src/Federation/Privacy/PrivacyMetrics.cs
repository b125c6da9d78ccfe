using System.Globalization;
using System.Text.Json.Nodes;
using FedLlm.Federation.Client;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Simulation;
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

    /// <param name="state">Read on resume to restore every client's ε as of <paramref name="firstRound"/>.</param>
    public PrivacyMetrics(string mode, double delta, ServerStrategy strategy, ClientStateStore state, IEnumerable<int> clientIds, int firstRound)
    {
        _mode = mode;
        _delta = delta;
        _clientDp = strategy as DpFedAvgStrategy;
        if (_clientDp is null && firstRound > 0)
            foreach (int id in clientIds)
                if (state.Read(id, LocalClientTrainer.AccountantKey, firstRound) is { } saved)
                    _clientEpsilon[id] = AccountantVector.Decode(saved, $"client {id} accountant").GetEpsilon(delta);
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
        bool localOnly = SimulationConfigJson.FromJson(File.ReadAllText(run.ConfigFile)).Strategy.Algorithm == StrategyNames.Local;
        string ownModel = localOnly ? RunMetrics.LocalOnlyModel : RunMetrics.GlobalModel;
        return run.ReadMetrics()
            .LastOrDefault(m => m["type"]?.GetValue<string>() == RunMetrics.EvaluationType && RunMetrics.ModelOf(m) == ownModel)?["mean_held_out_loss"] is JsonValue v
            ? v.GetValue<double>() : null;
    }
}
