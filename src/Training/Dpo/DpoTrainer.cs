using TorchSharp;
using FedLlm.Models;
using FedLlm.Models.Lora;
using FedLlm.Training.Examples;
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
    private readonly optim.Optimizer _optimizer;

    public DpoTrainer(LoraAdapterSet adapters, TrainerOptions options, int padId, double beta = 0.1)
    {
        options.Validate();
        if (beta <= 0) throw new ArgumentException($"DPO beta must be positive, got {beta}");
        _adapters = adapters;
        _options = options;
        _beta = beta.ToScalar();
        _padId = padId;
        _trainable = adapters.Parameters.Select(p => p.Parameter).ToList();
        foreach (var p in _trainable) p.requires_grad = true;
        _optimizer = optim.AdamW(_trainable, options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay);
    }

    /// <summary>Reference (adapter-off) log-probabilities of chosen and rejected responses, one pair per row.</summary>
    public (double[] Chosen, double[] Rejected) ReferenceLogProbs(IReadOnlyList<PreferencePair> pairs)
    {
        var chosen = new double[pairs.Count];
        var rejected = new double[pairs.Count];
        _adapters.Enabled = false;
        try
        {
            using var noGrad = no_grad();
            for (int start = 0; start < pairs.Count; start += _options.BatchSize)
            {
                var batch = pairs.Skip(start).Take(_options.BatchSize).ToList();
                using var scope = NewDisposeScope();
                var c = LogProbs(batch.Select(p => p.Chosen).ToList()).data<float>().ToArray();
                var r = LogProbs(batch.Select(p => p.Rejected).ToList()).data<float>().ToArray();
                for (int i = 0; i < batch.Count; i++)
                {
                    chosen[start + i] = c[i];
                    rejected[start + i] = r[i];
                }
            }
        }
        finally
        {
            _adapters.Enabled = true;
        }
        return (chosen, rejected);
    }

    public IReadOnlyList<DpoStepMetrics> Train(IReadOnlyList<PreferencePair> pairs, Action<DpoStepMetrics>? onStep = null, CancellationToken cancellation = default)
    {
        if (pairs.Count == 0) throw new ArgumentException("no preference pairs");
        var (refChosen, refRejected) = ReferenceLogProbs(pairs);
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
                // With clipping off, a huge threshold makes clip_grad_norm_ a pure norm computation.
                double gradNorm = nn.utils.clip_grad_norm_(_trainable, _options.MaxGradNorm > 0 ? _options.MaxGradNorm : double.MaxValue);
                _optimizer.step();
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

    /// <summary>
    /// DPO loss, mean implicit rewards and preference accuracy of the current policy on <paramref name="pairs"/>, given their
    /// reference log-probabilities (from <see cref="ReferenceLogProbs"/>; the base is frozen, so they can be computed once).
    /// Dropout should be off (adapters not in training mode) for a deterministic score.
    /// </summary>
    public DpoEvaluation Evaluate(IReadOnlyList<PreferencePair> pairs, (double[] Chosen, double[] Rejected) reference)
    {
        if (reference.Chosen.Length != pairs.Count || reference.Rejected.Length != pairs.Count)
            throw new ArgumentException($"{pairs.Count} pairs but {reference.Chosen.Length} reference log-probabilities");
        if (pairs.Count == 0) return new DpoEvaluation(double.NaN, double.NaN, double.NaN, double.NaN, 0);
        double loss = 0, rewardChosen = 0, rewardRejected = 0, correct = 0;
        using var noGrad = no_grad();
        for (int start = 0; start < pairs.Count; start += _options.BatchSize)
        {
            var batch = pairs.Skip(start).Take(_options.BatchSize).ToList();
            using var scope = NewDisposeScope();
            var policyChosen = LogProbs(batch.Select(p => p.Chosen).ToList());
            var policyRejected = LogProbs(batch.Select(p => p.Rejected).ToList());
            var chosenRewards = Rewards(policyChosen, reference.Chosen.Skip(start).Take(batch.Count));
            var rejectedRewards = Rewards(policyRejected, reference.Rejected.Skip(start).Take(batch.Count));
            loss += (-nn.functional.logsigmoid(chosenRewards.Minus(rejectedRewards))).sum().item<float>();
            rewardChosen += chosenRewards.sum().item<float>();
            rewardRejected += rejectedRewards.sum().item<float>();
            correct += chosenRewards.gt(rejectedRewards).sum().item<long>();
        }
        int n = pairs.Count;
        return new DpoEvaluation(loss / n, rewardChosen / n, rewardRejected / n, correct / n, n);
    }

    private Tensor LogProbs(IReadOnlyList<TokenizedExample> examples)
    {
        using var scope = NewDisposeScope();
        var (inputs, labels) = BatchCollator.Collate(examples, _padId);
        return SequenceLogProbs.Compute(_adapters.Model, inputs, labels).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _beta.Dispose();
    }

    /// <summary>β·(log π(y|x) − log π_ref(y|x)) per pair.</summary>
    private Tensor Rewards(Tensor policy, IEnumerable<double> reference) =>
        policy.Minus(tensor(reference.Select(v => (float)v).ToArray())).mul_(_beta);
}
