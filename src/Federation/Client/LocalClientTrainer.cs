using System.Diagnostics;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Privacy;
using FedLlm.Foundation.Randomness;
using FedLlm.Federation.Strategies;
using FedLlm.Models.Lora;
using FedLlm.Privacy.Accounting;
using FedLlm.Privacy.Mechanisms;
using FedLlm.Training.Privacy;
using FedLlm.Training.Sft;
using static TorchSharp.torch;

namespace FedLlm.Federation.Client;

/// <summary>
/// What a client does with a task, identical in simulation and deployment: load the server's weights into its
/// adapters, train locally with the round's plan (FedProx term, SCAFFOLD correction), and answer with its new weights,
/// its dataset size and, for SCAFFOLD, Δc_i. Its control variate c_i stays in its own <see cref="ClientStateStore"/>.
/// With <paramref name="dpSgd"/> it trains with sample-level DP-SGD and keeps its RDP accountant in the same store; with a
/// client-noise plan from the server it clips and noises its update itself (client-side DP-FedAvg).
/// </summary>
public sealed class LocalClientTrainer(LoraAdapterSet adapters, LocalTrainingOptions options, ClientStateStore state, int padId, ulong runSeed,
    LocalDpSgdPlan? dpSgd = null)
{
    public const string ScaffoldClientControlKey = "scaffold.c_i";
    public const string AccountantKey = "dp.accountant";
    public const string ClientNoisePurpose = "client-dp-noise";

    private readonly Dictionary<int, double> _calibratedNoise = [];

    /// <summary>A client's DP-SGD accountant as of the start of <paramref name="round"/> (fresh when it never trained).</summary>
    public static RdpAccountant AccountantOf(ClientStateStore store, int clientId, int round) =>
        store.Read(clientId, AccountantKey, round) is { } vector
            ? AccountantVector.Decode(vector, $"client {clientId} accountant")
            : new RdpAccountant();

    public ClientResult Train(ClientTask task, ClientData data, CancellationToken cancellation = default)
    {
        if (data.Train.Count == 0) throw new InvalidOperationException($"client {data.ClientId} has no training data");
        var clock = Stopwatch.StartNew();
        ulong seed = SeedDerivation.Derive(runSeed, "local-training", task.Round, task.ClientId) & 0x7FFFFFFFFFFFFFFFUL;
        manual_seed(unchecked((long)seed)); // LoRA dropout draws from libtorch's global generator

        adapters.Load(task.Weights);
        ScaffoldClient? scaffold = null;
        if (task.Plan.ScaffoldControl is { } serverControl)
        {
            scaffold = ScaffoldClient.FromControl(state.Read(task.ClientId, ScaffoldClientControlKey, task.Round) ?? new float[serverControl.Length]);
            scaffold.BeginRound(serverControl);
        }

        TrainingResult result;
        ClientPrivacyReport? privacy = null;
        var trainerOptions = options.ForRound(task.Plan.LearningRate, seed);
        using (var hooks = new FederatedTrainingHooks(adapters.Layout, task.Weights, task.Plan.ProximalMu, scaffold?.Correction.ToArray()))
        {
            adapters.Training = true;
            try
            {
                if (dpSgd is null)
                {
                    using var trainer = new SftTrainer(adapters.Model, adapters.Parameters.Select(p => p.Parameter).ToList(), trainerOptions, padId, hooks);
                    result = trainer.Train(data.Train, cancellation: cancellation);
                }
                else
                {
                    (result, privacy) = TrainPrivately(task, data, trainerOptions, hooks, cancellation);
                }
            }
            finally { adapters.Training = false; }
        }
        float[] trained = adapters.Flatten();
        if (task.Plan.ClientNoise is { } clientNoise) AddClientNoise(task, trained, clientNoise);

        var extras = new Dictionary<string, float[]>();
        if (scaffold is not null)
        {
            // Option II with K = the steps actually run (the paper's rule; see ScaffoldClient.Finish).
            extras[ExchangeKeys.ScaffoldDeltaControl] = scaffold.Finish(trained, task.Weights, result.Steps, task.Plan.LearningRate);
            state.Write(task.ClientId, ScaffoldClientControlKey, task.Round, scaffold.ClientControl);
        }

        var update = new ClientUpdate(task.ClientId, data.SampleCount, trained, extras);
        var metrics = new ClientTrainingMetrics(result.MeanLoss, result.Steps, result.Steps * options.BatchSize * options.GradientAccumulationSteps,
            result.History.Sum(h => h.Tokens), clock.Elapsed.TotalSeconds, privacy);
        return new ClientResult(update, metrics);
    }

    private (TrainingResult, ClientPrivacyReport) TrainPrivately(ClientTask task, ClientData data, Training.Optimization.TrainerOptions trainerOptions,
        FederatedTrainingHooks hooks, CancellationToken cancellation)
    {
        var plan = dpSgd!;
        var accountant = AccountantOf(state, task.ClientId, task.Round);
        if (!_calibratedNoise.TryGetValue(task.ClientId, out double sigma))
            _calibratedNoise[task.ClientId] = sigma = plan.NoiseFor(data.Train.Count, trainerOptions.ExamplesPerStep);
        var dp = plan.Options with { NoiseMultiplier = sigma };
        double q = dp.ResolveSampleRate(data.Train.Count, trainerOptions.ExamplesPerStep);
        int steps = trainerOptions.ResolveSteps(data.Train.Count);
        if (plan.StopWhenExhausted && plan.TargetEpsilon is double budget)
        {
            var after = RdpAccountant.FromState(accountant.ExportState());
            after.Record(sigma, q, steps);
            double epsilonAfter = after.GetEpsilon(plan.Delta);
            if (epsilonAfter > budget) throw new PrivacyBudgetExhaustedException(task.ClientId, epsilonAfter, budget);
        }
        TrainingResult result;
        using (var trainer = new DpSgdTrainer(adapters, trainerOptions, dp, padId, hooks, accountant))
            result = trainer.Train(data.Train, cancellation: cancellation);
        state.Write(task.ClientId, AccountantKey, task.Round, AccountantVector.Encode(accountant));
        return (result, new ClientPrivacyReport(accountant.GetEpsilon(plan.Delta), plan.Delta, sigma, q, accountant.TotalSteps));
    }

    /// <summary>Client-side DP-FedAvg: clip w_i − w to S and add N(0, (zS/√m)²) before the update leaves the client.</summary>
    private void AddClientNoise(ClientTask task, float[] trained, ClientNoisePlan plan)
    {
        var delta = new float[trained.Length];
        for (int j = 0; j < delta.Length; j++) delta[j] = trained[j] - task.Weights[j];
        using var noise = new SeededGaussianSource(SeedDerivation.Derive(runSeed, ClientNoisePurpose, task.Round, task.ClientId));
        DpFedAvg.PrivatizeLocally(delta, plan.ClipNorm, plan.NoiseMultiplier, plan.ClientsPerRound, noise);
        for (int j = 0; j < delta.Length; j++) trained[j] = task.Weights[j] + delta[j];
    }
}
