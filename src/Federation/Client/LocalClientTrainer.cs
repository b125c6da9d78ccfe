using System.Diagnostics;
using FedLlm.Federation.Engine;
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
        ulong seed = SeedFor(runSeed, task.Round, task.ClientId);
        manual_seed(unchecked((long)seed)); // LoRA dropout draws from libtorch's global generator

        adapters.Load(task.Weights);
        float[]? serverControl = task.Plan.ScaffoldControl;
        float[]? clientControl = serverControl is null ? null
            : state.Read(task.ClientId, ScaffoldClientControlKey, task.Round) ?? new float[serverControl.Length];

        TrainingResult result;
        using (var hooks = new FederatedTrainingHooks(adapters.Layout, task.Weights, task.Plan.ProximalMu, serverControl, clientControl))
        using (var trainer = new SftTrainer(adapters.Model, adapters.Parameters.Select(p => p.Parameter).ToList(),
                   options.ForRound(task.Plan.LearningRate, seed), padId, hooks))
        {
            adapters.Training = true;
            try { result = trainer.Train(data.Train, cancellation: cancellation); }
            finally { adapters.Training = false; }
        }
        float[] trained = adapters.Flatten();

        var extras = new Dictionary<string, float[]>();
        if (serverControl is not null)
        {
            // SCAFFOLD option II (Karimireddy et al. 2020, eq. 4): c_i⁺ = c_i − c + (x − y_i)/(K·η_l), K = steps actually run.
            float[] updated = new float[trained.Length];
            float[] delta = new float[trained.Length];
            double scale = 1.0 / (result.Steps * task.Plan.LearningRate);
            for (int i = 0; i < trained.Length; i++)
            {
                updated[i] = (float)(clientControl![i] - serverControl[i] + (task.Weights[i] - trained[i]) * scale);
                delta[i] = updated[i] - clientControl[i];
            }
            state.Write(task.ClientId, ScaffoldClientControlKey, task.Round, updated);
            extras[ExchangeKeys.ScaffoldDeltaControl] = delta;
        }

        var update = new ClientUpdate(task.ClientId, data.SampleCount, trained, extras);
        var metrics = new ClientTrainingMetrics(result.MeanLoss, result.Steps, result.Steps * options.BatchSize * options.GradientAccumulationSteps,
            result.History.Sum(h => h.Tokens), clock.Elapsed.TotalSeconds);
        return new ClientResult(update, metrics);
    }

    /// <summary>A per-(round, client) seed derived from the run seed, so any client's round can be replayed alone.</summary>
    public static ulong SeedFor(ulong runSeed, int round, int clientId)
    {
        ulong x = runSeed ^ (0x9E3779B97F4A7C15UL * (ulong)(round + 1)) ^ (0xC2B2AE3D27D4EB4FUL * (ulong)(clientId + 1));
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return (x ^ (x >> 31)) & 0x7FFFFFFFFFFFFFFFUL;
    }
}
