using System.Diagnostics;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Randomness;
using FedLlm.Federation.Strategies;
using FedLlm.Models.Lora;
using FedLlm.Training.Sft;
using static TorchSharp.torch;

namespace FedLlm.Federation.Client;

/// <summary>
/// What a client does with a task, identical in simulation and deployment: load the server's weights into its
/// adapters, train locally with the round's plan (FedProx term, SCAFFOLD correction), and answer with its new weights,
/// its dataset size and, for SCAFFOLD, Δc_i. Its control variate c_i stays in its own <see cref="ClientStateStore"/>.
/// </summary>
public sealed class LocalClientTrainer(LoraAdapterSet adapters, LocalTrainingOptions options, ClientStateStore state, int padId, ulong runSeed)
{
    public const string ScaffoldClientControlKey = "scaffold.c_i";

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
        using (var hooks = new FederatedTrainingHooks(adapters.Layout, task.Weights, task.Plan.ProximalMu, scaffold?.Correction.ToArray()))
        using (var trainer = new SftTrainer(adapters.Model, adapters.Parameters.Select(p => p.Parameter).ToList(),
                   options.ForRound(task.Plan.LearningRate, seed), padId, hooks))
        {
            adapters.Training = true;
            try { result = trainer.Train(data.Train, cancellation: cancellation); }
            finally { adapters.Training = false; }
        }
        float[] trained = adapters.Flatten();

        var extras = new Dictionary<string, float[]>();
        if (scaffold is not null)
        {
            // Option II with K = the steps actually run (the paper's rule; see ScaffoldClient.Finish).
            extras[ExchangeKeys.ScaffoldDeltaControl] = scaffold.Finish(trained, task.Weights, result.Steps, task.Plan.LearningRate);
            state.Write(task.ClientId, ScaffoldClientControlKey, task.Round, scaffold.ClientControl);
        }

        var update = new ClientUpdate(task.ClientId, data.SampleCount, trained, extras);
        var metrics = new ClientTrainingMetrics(result.MeanLoss, result.Steps, result.Steps * options.BatchSize * options.GradientAccumulationSteps,
            result.History.Sum(h => h.Tokens), clock.Elapsed.TotalSeconds);
        return new ClientResult(update, metrics);
    }
}
