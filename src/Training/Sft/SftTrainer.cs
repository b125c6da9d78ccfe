using TorchSharp;
using FedLlm.Models.Llama;
using FedLlm.Training.Examples;
using FedLlm.Training.Hooks;
using FedLlm.Training.Optimization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedLlm.Training.Sft;

/// <summary>
/// Supervised fine-tuning of a set of trainable tensors (LoRA adapters, or every parameter) with AdamW,
/// gradient accumulation, clipping and a learning-rate schedule. Loss is the mean over labelled tokens of each optimiser step.
/// </summary>
public sealed class SftTrainer : IDisposable
{
    private readonly CausalLm _model;
    private readonly IReadOnlyList<Parameter> _trainable;
    private readonly TrainerOptions _options;
    private readonly ITrainingHooks _hooks;
    private readonly int _padId;
    private readonly optim.Optimizer _optimizer;

    public SftTrainer(CausalLm model, IReadOnlyList<Parameter> trainable, TrainerOptions options, int padId, ITrainingHooks? hooks = null)
    {
        options.Validate();
        if (trainable.Count == 0) throw new ArgumentException("nothing to train: no trainable parameters given");
        foreach (var p in trainable)
            if (p.dtype != ScalarType.Float32) throw new ArgumentException($"trainable parameters must be fp32, found {p.dtype}");
        _model = model;
        _trainable = trainable;
        _options = options;
        _padId = padId;
        _hooks = hooks ?? NoHooks.Instance;
        foreach (var p in trainable) p.requires_grad = true;
        _optimizer = optim.AdamW(trainable, options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay);
    }

    /// <summary>Trains on <paramref name="examples"/> in a seeded shuffled order, cycling through epochs as needed.</summary>
    public TrainingResult Train(IReadOnlyList<TokenizedExample> examples, Action<StepMetrics>? onStep = null, CancellationToken cancellation = default)
    {
        if (examples.Count == 0) throw new ArgumentException("no training examples");
        int steps = _options.ResolveSteps(examples.Count);
        var schedule = new LearningRateSchedule(_options.Schedule, _options.LearningRate, steps, _options.WarmupSteps, _options.MinLearningRate);
        var order = new ExampleOrder(examples.Count, _options.Seed);
        var history = new List<StepMetrics>(steps);
        var tensors = _trainable.Cast<Tensor>().ToList();

        for (int step = 0; step < steps; step++)
        {
            cancellation.ThrowIfCancellationRequested();
            double lr = schedule.At(step);
            foreach (var group in _optimizer.ParamGroups) group.LearningRate = lr;

            var stepExamples = order.Take(_options.ExamplesPerStep).Select(i => examples[i]).ToList();
            long stepTokens = Math.Max(1, stepExamples.Sum(e => (long)e.TargetTokens));
            // Held for the step, not an implicit per-call Scalar, which could be finalised mid-call (see RootedScalars).
            using var tokens = stepTokens.ToScalar();
            _optimizer.zero_grad();
            double stepLoss = 0;
            foreach (var micro in stepExamples.Chunk(_options.BatchSize))
            {
                using var scope = NewDisposeScope();
                var (inputs, labels) = BatchCollator.Collate(micro, _padId);
                var loss = CausalLmLoss.Summed(_model, inputs, labels) / tokens;
                loss.backward();
                stepLoss += loss.item<float>();
            }
            using (var scope = NewDisposeScope())
            {
                if (_hooks.ExtraLoss(tensors) is { } extra) extra.backward();
            }
            // clip_grad_norm_ reports the pre-clip total norm; with clipping off, a huge threshold makes it a pure norm computation.
            double gradNorm = nn.utils.clip_grad_norm_(_trainable, _options.MaxGradNorm > 0 ? _options.MaxGradNorm : double.MaxValue);
            _optimizer.step();
            _hooks.AfterOptimizerStep(tensors, lr);

            var metrics = new StepMetrics(step, stepLoss, lr, gradNorm, stepTokens);
            history.Add(metrics);
            onStep?.Invoke(metrics);
        }
        return new TrainingResult(steps, history.Average(h => h.Loss), history);
    }

    public void Dispose() => _optimizer.Dispose();
}
