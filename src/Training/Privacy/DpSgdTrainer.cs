using FedLlm.Models.Lora;
using FedLlm.Privacy.Accounting;
using FedLlm.Privacy.Mechanisms;
using FedLlm.Training.Examples;
using FedLlm.Training.Hooks;
using FedLlm.Training.Optimization;
using FedLlm.Training.Sft;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedLlm.Training.Privacy;

/// <summary>
/// Sample-level DP-SGD on LoRA adapters with AdamW (a post-processing of the private gradient). Per step: Poisson
/// batch with rate q, per-example gradients from one backward pass (<see cref="PerExampleGradients"/>, in micro-batches
/// of <see cref="TrainerOptions.BatchSize"/>), clip each to C, sum, add N(0, (σC)²), divide by qN, optimiser step.
/// Every step is recorded in the optional accountant as it happens.
/// </summary>
/// <remarks>
/// <see cref="TrainerOptions.MaxGradNorm"/> and gradient accumulation do not apply (clipping is per example; the
/// micro-batches already accumulate). Hook extra losses (FedProx) depend on no data, so their gradient is added after the
/// noise at no privacy cost. The train loss in the result is not privatised: it is a local diagnostic.
/// </remarks>
public sealed class DpSgdTrainer : IDisposable
{
    private readonly LoraAdapterSet _adapters;
    private readonly IReadOnlyList<Parameter> _trainable;
    private readonly TrainerOptions _options;
    private readonly DpSgdOptions _privacy;
    private readonly ITrainingHooks _hooks;
    private readonly int _padId;
    private readonly RdpAccountant? _accountant;
    private readonly optim.Optimizer _optimizer;
    private readonly IRandomSource _random;
    private readonly IGaussianSource _noise;

    public DpSgdTrainer(LoraAdapterSet adapters, TrainerOptions options, DpSgdOptions privacy, int padId,
        ITrainingHooks? hooks = null, RdpAccountant? accountant = null)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        options.Validate();
        privacy.Validate();
        _adapters = adapters;
        _trainable = adapters.Parameters.Select(p => p.Parameter).ToList();
        _options = options;
        _privacy = privacy;
        _padId = padId;
        _hooks = hooks ?? NoHooks.Instance;
        _accountant = accountant;
        foreach (var p in _trainable) p.requires_grad = true;
        _optimizer = optim.AdamW(_trainable, options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay);
        if (!privacy.ReproducibleRandomness)
        {
            _random = new CryptoRandomSource();
            _noise = new CryptoGaussianSource();
        }
        else
        {
            // Two independent reproducible streams: batches and noise.
            _random = new SeededRandomSource(options.Seed);
            _noise = new SeededGaussianSource(options.Seed ^ 0x5DEECE66DUL);
        }
    }

    /// <summary>Runs <see cref="TrainerOptions.ResolveSteps"/> private steps on <paramref name="examples"/>.</summary>
    public TrainingResult Train(IReadOnlyList<TokenizedExample> examples, Action<StepMetrics>? onStep = null, CancellationToken cancellation = default)
    {
        if (examples.Count == 0) throw new ArgumentException("no training examples");
        double q = _privacy.ResolveSampleRate(examples.Count, _options.ExamplesPerStep);
        var sampler = new PoissonSampler(q, _random);
        double expectedBatch = sampler.ExpectedBatchSize(examples.Count);
        int steps = _options.ResolveSteps(examples.Count);
        var schedule = new LearningRateSchedule(_options.Schedule, _options.LearningRate, steps, _options.WarmupSteps, _options.MinLearningRate);
        var history = new List<StepMetrics>(steps);
        for (int step = 0; step < steps; step++)
        {
            cancellation.ThrowIfCancellationRequested();
            var batch = sampler.SampleBatch(examples.Count).Select(i => examples[i]).ToList();
            var metrics = Step(batch, expectedBatch, schedule.At(step), step);
            _accountant?.Record(_privacy.NoiseMultiplier, q, 1);
            history.Add(metrics);
            onStep?.Invoke(metrics);
        }
        // An empty Poisson batch has no loss; the mean is over the steps that saw data (NaN if none did).
        var seen = history.Where(h => !double.IsNaN(h.Loss)).ToList();
        return new TrainingResult(steps, seen.Count == 0 ? double.NaN : seen.Average(h => h.Loss), history);
    }

    /// <summary>
    /// One private optimiser step on an already drawn batch (may be empty). The caller accounts for it.
    /// <see cref="StepMetrics.GradNorm"/> is the norm of the released (noisy, averaged) gradient.
    /// </summary>
    public StepMetrics Step(IReadOnlyList<TokenizedExample> batch, double expectedBatchSize, double learningRate, int step = 0)
    {
        foreach (var group in _optimizer.ParamGroups) group.LearningRate = learningRate;
        _optimizer.zero_grad();
        double lossSum = 0;
        long tokens = 0;
        float[] released;
        using (var scope = NewDisposeScope())
        {
            var sums = _trainable.Select(p => zeros_like(p, requires_grad: false)).ToList();
            // Similar lengths together keep padding (wasted compute) low; the order does not change the sum.
            foreach (var micro in batch.OrderBy(e => e.Length).Chunk(_options.BatchSize))
            {
                using var perExample = PerExampleGradients.Compute(_adapters, micro, _padId);
                perExample.Clip(_privacy.MaxGradNorm);
                perExample.AddSumTo(sums);
                lossSum += perExample.Losses.Sum(l => (double)l);
                tokens += micro.Sum(e => (long)e.TargetTokens);
            }
            released = _adapters.Layout.Flatten(sums);
        }
        NoisyGradient.Privatize(released, _privacy.NoiseMultiplier, _privacy.MaxGradNorm, expectedBatchSize, _noise);

        using (var scope = NewDisposeScope())
        {
            var grads = _trainable.Select(p => zeros_like(p, requires_grad: false)).ToList();
            _adapters.Layout.Unflatten(released, grads);
            for (int k = 0; k < _trainable.Count; k++) _trainable[k].grad = grads[k];
            if (_hooks.ExtraLoss(_trainable.Cast<Tensor>().ToList()) is { } extra) extra.backward();
            _optimizer.step();
        }
        _hooks.AfterOptimizerStep(_trainable.Cast<Tensor>().ToList(), learningRate);
        double loss = batch.Count == 0 ? double.NaN : lossSum / batch.Count;
        return new StepMetrics(step, loss, learningRate, FedLlm.Privacy.Mechanisms.L2Clipping.Norm(released), tokens);
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        (_random as IDisposable)?.Dispose();
        (_noise as IDisposable)?.Dispose();
    }
}
