using System.Diagnostics;
using FedLlm.Federation.Client.Algorithms;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Privacy;
using FedLlm.Federation.Strategies;
using FedLlm.Foundation.Randomness;
using FedLlm.Models.Lora;
using FedLlm.Privacy.Accounting;
using FedLlm.Privacy.Mechanisms;
using FedLlm.Training.Dpo;
using FedLlm.Training.Optimization;
using FedLlm.Training.Privacy;
using FedLlm.Training.Runs;
using FedLlm.Training.Sft;
using static TorchSharp.torch;

namespace FedLlm.Federation.Client;

/// <summary>
/// What a client does with a task, identical in simulation and deployment: load the task's weights into its adapters,
/// train locally for the round (SFT, DP-SGD or DPO, with the plan's FedProx term and SCAFFOLD correction), and answer
/// with its new weights, its dataset size and the algorithm's extras. Its own state (SCAFFOLD's c_i, its DP-SGD
/// accountant) stays in its <see cref="ClientStateStore"/>; with a client-noise plan it clips and noises its update itself.
/// </summary>
public sealed class LocalClientTrainer(LoraAdapterSet adapters, RunConfig config, ClientStateStore state, int padId)
{
    public const string AccountantKey = "dp.accountant";
    public const string ClientNoisePurpose = "client-dp-noise";

    private readonly LocalDpSgdPlan? _dpSgd = config.Privacy.ToDpSgdPlan(config);
    private readonly Dictionary<int, double> _calibratedNoise = [];
    private readonly DpoReferenceCache _dpoReference = new(adapters, config.Training.BatchSize, padId);

    /// <summary>
    /// A deployed member: the updates it released cannot be taken back, so its DP-SGD accountant never rolls back
    /// (see <see cref="AccountantOf"/>). Off in simulation, where a resumed run also rolls back the noise it released.
    /// </summary>
    public bool Deployed { get; init; }

    /// <summary>
    /// A client's DP-SGD accountant before it trains <paramref name="round"/> (fresh when it never trained), and the round
    /// to store it under afterwards. In simulation: the state as of the round's start, since resuming from a checkpoint
    /// rolls back the model and every update released after it. On a deployed member (<paramref name="deployed"/>): the
    /// newest state, whatever its round, since a resumed server that re-sends round r gets a second release of data the
    /// member already spent ε on; the result is stored under the newest round seen, so the next read finds it.
    /// </summary>
    public static (RdpAccountant Accountant, int StoreAs) AccountantOf(ClientStateStore store, int clientId, int round, bool deployed = false)
    {
        var (vector, storeAs) = deployed && store.ReadNewest(clientId, AccountantKey) is (var newest, var newestRound)
            ? (newest, Math.Max(round, newestRound))
            : (store.Read(clientId, AccountantKey, round), round);
        var accountant = vector is null ? new RdpAccountant() : AccountantVector.Decode(vector, $"client {clientId} accountant");
        return (accountant, storeAs);
    }

    public ClientResult Train(ClientTask task, ClientData data, CancellationToken cancellation = default)
    {
        if (data.Train.Count == 0) throw new InvalidOperationException($"client {data.ClientId} has no training data");
        var clock = Stopwatch.StartNew();
        ulong seed = SeedDerivation.Derive(config.Seed, "local-training", task.Round, task.ClientId) & 0x7FFFFFFFFFFFFFFFUL;
        manual_seed(unchecked((long)seed)); // LoRA dropout draws from libtorch's global generator

        adapters.Load(task.Weights);
        var options = config.Training.ForRound(task.Plan.LearningRate, seed);
        LocalSession session;
        IReadOnlyDictionary<string, float[]> extras;
        float[] trained;
        using (var algorithms = new RoundAlgorithms(task, state))
        {
            adapters.Training = true;
            try
            {
                session = config.IsDpo ? TrainDpo(task, data, options, algorithms, cancellation)
                    : _dpSgd is null ? TrainSft(data, options, algorithms, cancellation)
                    : TrainPrivately(task, data, options, algorithms, cancellation);
            }
            finally { adapters.Training = false; }
            trained = adapters.Flatten();
            if (task.Plan.ClientNoise is { } clientNoise) AddClientNoise(task, trained, clientNoise);
            extras = algorithms.Finish(trained, session.Steps);
        }

        var update = new ClientUpdate(task.ClientId, data.SampleCount, trained, extras);
        var metrics = new ClientTrainingMetrics(session.MeanLoss, session.Steps, session.Steps * options.ExamplesPerStep,
            session.Tokens, clock.Elapsed.TotalSeconds, session.Privacy);
        return new ClientResult(update, metrics);
    }

    private sealed record LocalSession(int Steps, double MeanLoss, long Tokens, ClientPrivacyReport? Privacy = null);

    private LocalSession TrainSft(ClientData data, TrainerOptions options, RoundAlgorithms algorithms, CancellationToken cancellation)
    {
        using var trainer = new SftTrainer(adapters.Model, adapters.Parameters.Select(p => p.Parameter).ToList(), options, padId, algorithms);
        var result = trainer.Train(data.Train.Sequences, cancellation: cancellation);
        return new LocalSession(result.Steps, result.MeanLoss, result.History.Sum(h => h.Tokens));
    }

    /// <summary>DPO against the base with adapters off (the PEFT reference), with the same federated hooks as SFT.</summary>
    private LocalSession TrainDpo(ClientTask task, ClientData data, TrainerOptions options, RoundAlgorithms algorithms, CancellationToken cancellation)
    {
        var reference = _dpoReference.Of(task.ClientId, data.Train.Pairs);
        using var trainer = new DpoTrainer(adapters, options, padId, config.Dpo.Beta, algorithms);
        var steps = trainer.Train(data.Train.Pairs, cancellation: cancellation, reference: reference);
        return new LocalSession(steps.Count, steps.Average(s => s.Loss), steps.Sum(s => s.Tokens));
    }

    private LocalSession TrainPrivately(ClientTask task, ClientData data, TrainerOptions options, RoundAlgorithms algorithms, CancellationToken cancellation)
    {
        var plan = _dpSgd!;
        var examples = data.Train.Sequences;
        var (accountant, storeAs) = AccountantOf(state, task.ClientId, task.Round, Deployed);
        if (!_calibratedNoise.TryGetValue(task.ClientId, out double sigma))
            _calibratedNoise[task.ClientId] = sigma = plan.NoiseFor(examples.Count, options.ExamplesPerStep);
        var dp = plan.Options with { NoiseMultiplier = sigma };
        double q = dp.ResolveSampleRate(examples.Count, options.ExamplesPerStep);
        int steps = options.ResolveSteps(examples.Count);
        if (plan.StopWhenExhausted && plan.TargetEpsilon is double budget)
        {
            var after = RdpAccountant.FromState(accountant.ExportState());
            after.Record(sigma, q, steps);
            double epsilonAfter = after.GetEpsilon(plan.Delta);
            if (epsilonAfter > budget) throw new PrivacyBudgetExhaustedException(task.ClientId, epsilonAfter, budget);
        }
        TrainingResult result;
        using (var trainer = new DpSgdTrainer(adapters, options, dp, padId, algorithms, accountant))
            result = trainer.Train(examples, cancellation: cancellation);
        state.Write(task.ClientId, AccountantKey, storeAs, AccountantVector.Encode(accountant));
        var privacy = new ClientPrivacyReport(accountant.GetEpsilon(plan.Delta), plan.Delta, sigma, q, accountant.TotalSteps);
        return new LocalSession(result.Steps, result.MeanLoss, result.History.Sum(h => h.Tokens), privacy);
    }

    /// <summary>Client-side DP-FedAvg: clip w_i − w to S and add N(0, (zS/√m)²) before the update leaves the client.</summary>
    private void AddClientNoise(ClientTask task, float[] trained, ClientNoisePlan plan)
    {
        var delta = new float[trained.Length];
        for (int j = 0; j < delta.Length; j++) delta[j] = trained[j] - task.Weights[j];
        IGaussianSource noise = config.Privacy.ReproducibleNoise
            ? new SeededGaussianSource(SeedDerivation.Derive(config.Seed, ClientNoisePurpose, task.Round, task.ClientId))
            : new CryptoGaussianSource();
        try
        {
            DpFedAvg.PrivatizeLocally(delta, plan.ClipNorm, plan.NoiseMultiplier, plan.ClientsPerRound, noise);
        }
        finally
        {
            (noise as IDisposable)?.Dispose();
        }
        for (int j = 0; j < delta.Length; j++) trained[j] = task.Weights[j] + delta[j];
    }
}
