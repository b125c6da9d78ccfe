using TorchSharp;
using FedLlm.Models;
using FedLlm.Models.Lora;
using FedLlm.Training.Examples;
using FedLlm.Training.Hooks;
using FedLlm.Training.Optimization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedLlm.Training.Dpo;

/// <summary>
/// Direct Preference Optimisation (Rafailov et al. 2023), sigmoid loss:
/// −log σ(β·[(log π(y_w) − log π_ref(y_w)) − (log π(y_l) − log π_ref(y_l))]).
/// The reference model is the same base with the adapters switched off, so no second copy of the model exists;
/// since the base is frozen, reference log-probabilities are computed once per pair and reused.
/// </summary>
public sealed class DpoTrainer : IDisposable
{
    private readonly LoraAdapterSet _adapters;
    private readonly TrainerOptions _options;
    // A field, not an implicit per-call Scalar, which could be finalised mid-call (see RootedScalars).
    private readonly Scalar _beta;
    private readonly int _padId;
    private readonly IReadOnlyList<Parameter> _trainable;
    private readonly ITrainingHooks _hooks;
    private readonly optim.Optimizer _optimizer;

    /// <param name="hooks">Federated algorithms' extension points (FedProx's term, SCAFFOLD's correction), as in <see cref="Sft.SftTrainer"/>.</param>
    public DpoTrainer(LoraAdapterSet adapters, TrainerOptions options, int padId, double beta = 0.1, ITrainingHooks? hooks = null)
    {
        options.Validate();
        if (beta <= 0) throw new ArgumentException($"DPO beta must be positive, got {beta}");
        _adapters = adapters;
        _options = options;
        _beta = beta.ToScalar();
        _padId = padId;
        _hooks = hooks ?? NoHooks.Instance;
        _trainable = adapters.Parameters.Select(p => p.Parameter).ToList();
        foreach (var p in _trainable) p.requires_grad = true;
        _optimizer = optim.AdamW(_trainable, options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay);
    }

    /// <param name="reference">The pairs' reference log-probabilities when already known (the base is frozen, so a client computes them once).</param>
    public IReadOnlyList<DpoStepMetrics> Train(IReadOnlyList<PreferencePair> pairs, Action<DpoStepMetrics>? onStep = null,
        CancellationToken cancellation = default, (double[] Chosen, double[] Rejected)? reference = null)
    {
        if (pairs.Count == 0) throw new ArgumentException("no preference pairs");
        var (refChosen, refRejected) = reference ?? DpoScoring.ReferenceLogProbs(_adapters, pairs, _options.BatchSize, _padId);
        var tensors = _trainable.Cast<Tensor>().ToList();
        int steps = _options.ResolveSteps(pairs.Count);
        var schedule = new LearningRateSchedule(_options.Schedule, _options.LearningRate, steps, _options.WarmupSteps, _options.MinLearningRate);
        var order = new ExampleOrder(pairs.Count, _options.Seed);
        var history = new List<DpoStepMetrics>();
        _adapters.Training = true;
        try
        {
            for (int step = 0; step < steps; step++)
            {
                cancellation.ThrowIfCancellationRequested();
                double lr = schedule.At(step);
                foreach (var group in _optimizer.ParamGroups) group.LearningRate = lr;
                var indices = order.Take(_options.ExamplesPerStep);
                _optimizer.zero_grad();
                double loss = 0, rewardChosen = 0, rewardRejected = 0, correct = 0;
                foreach (var micro in indices.Chunk(_options.BatchSize))
                {
                    using var scope = NewDisposeScope();
                    var policyChosen = LogProbs(micro.Select(i => pairs[i].Chosen).ToList());
                    var policyRejected = LogProbs(micro.Select(i => pairs[i].Rejected).ToList());
                    var chosenRewards = Rewards(policyChosen, micro.Select(i => refChosen[i]));
                    var rejectedRewards = Rewards(policyRejected, micro.Select(i => refRejected[i]));
                    var losses = -nn.functional.logsigmoid(chosenRewards.Minus(rejectedRewards));
                    using var count = ((double)indices.Count).ToScalar();
                    var scaled = losses.sum().div(count);
                    scaled.backward();
                    loss += scaled.item<float>();
                    rewardChosen += chosenRewards.sum().item<float>() / indices.Count;
                    rewardRejected += rejectedRewards.sum().item<float>() / indices.Count;
                    correct += chosenRewards.gt(rejectedRewards).sum().item<long>();
                }
                using (var scope = NewDisposeScope())
                {
                    if (_hooks.ExtraLoss(tensors) is { } extra) extra.backward();
                }
                // With clipping off, a huge threshold makes clip_grad_norm_ a pure norm computation.
                double gradNorm = nn.utils.clip_grad_norm_(_trainable, _options.MaxGradNorm > 0 ? _options.MaxGradNorm : double.MaxValue);
                _optimizer.step();
                _hooks.AfterOptimizerStep(tensors, lr);
                long tokens = indices.Sum(i => (long)pairs[i].Chosen.TrainedTokens + pairs[i].Rejected.TrainedTokens);
                var metrics = new DpoStepMetrics(step, loss, rewardChosen, rewardRejected, correct / indices.Count, lr, gradNorm, tokens);
                history.Add(metrics);
                onStep?.Invoke(metrics);
            }
        }
        finally
        {
            _adapters.Training = false;
        }
        return history;
    }

    private Tensor LogProbs(IReadOnlyList<TokenizedExample> examples) => DpoScoring.LogProbs(_adapters.Model, examples, _padId);

    public void Dispose()
    {
        _optimizer.Dispose();
        _beta.Dispose();
    }

    private Tensor Rewards(Tensor policy, IEnumerable<double> reference) => DpoScoring.Rewards(policy, reference, _beta);
}
