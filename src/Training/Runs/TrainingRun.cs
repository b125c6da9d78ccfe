using System.Text.Json;
using System.Text.Json.Nodes;
using FedLlm.Data.Model;
using FedLlm.Data.Templates;
using FedLlm.Models;
using FedLlm.Models.Export;
using FedLlm.Models.Lora;
using FedLlm.Training.Dpo;
using FedLlm.Training.Examples;
using FedLlm.Training.Optimization;
using FedLlm.Training.Sft;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedLlm.Training.Runs;

/// <summary>Progress of a run, for a progress bar or a log. Steps are 1-based; evaluation at step 0 is the untrained model.</summary>
public interface ITrainingObserver
{
    void StepCompleted(int step, int totalSteps) { }
    void Evaluated(TrainingEvaluation evaluation) { }
}

/// <summary>One held-out evaluation. For DPO, loss is the DPO loss and accuracy/margin the preference statistics.</summary>
public sealed record TrainingEvaluation(int Step, double HeldOutLoss, int Examples, double? Accuracy = null, double? Margin = null);

/// <summary>One optimiser step as logged (1-based step).</summary>
public sealed record TrainingStep(int Step, double Loss, double LearningRate, double GradNorm, long Tokens);

/// <summary>What a finished run wrote.</summary>
public sealed record TrainingRunResult(string OutputDirectory, string MetricsFile, bool FullModel,
    IReadOnlyList<TrainingStep> Steps, IReadOnlyList<TrainingEvaluation> Evaluations);

/// <summary>
/// Fine-tunes one model on one dataset on this machine: tokenizes, attaches LoRA adapters (or trains every parameter),
/// runs <see cref="SftTrainer"/> or <see cref="DpoTrainer"/>, evaluates held-out loss before, every <c>eval_every</c>
/// steps and after, and writes the adapter (PEFT) or full model folder plus <c>metrics.jsonl</c> into the output folder.
/// </summary>
public sealed class TrainingRun
{
    public const string MetricsFileName = "metrics.jsonl";
    public const string ConfigFileName = "train_config.json";

    private readonly TrainConfig _config;
    private readonly PretrainedModel _model;
    private readonly TrainerOptions _options;
    private readonly LoraAdapterSet? _adapters;
    private readonly int _padId;
    private readonly IReadOnlyList<TokenizedExample> _sftTrain = [];
    private readonly IReadOnlyList<TokenizedExample> _sftHeldOut = [];
    private readonly IReadOnlyList<PreferencePair> _dpoTrain = [];
    private readonly IReadOnlyList<PreferencePair> _dpoHeldOut = [];
    private bool _training;

    /// <summary>Tokenizes the data and attaches adapters; nothing is trained or written yet.</summary>
    public TrainingRun(TrainConfig config, PretrainedModel model, TrainingData data)
    {
        var problems = config.Validate();
        if (problems.Count > 0) throw new ArgumentException("invalid config: " + string.Join("; ", problems));
        _config = config;
        _model = model;
        _options = config.Training.ToOptions();
        _padId = model.PadId;

        var template = TemplateRegistry.Get(config.Data.Template, endOfTurn: model.EndOfTurnToken);
        var tokenizer = new ExampleTokenizer(model.Tokenizer, template, _options.MaxSequenceLength, model.PrependedBosId);
        var heldOut = data.HeldOut.Take(config.Data.MaxEvalExamples).ToList();
        if (config.IsDpo)
        {
            _dpoTrain = TokenizePairs(tokenizer, data.Train);
            _dpoHeldOut = TokenizePairs(tokenizer, heldOut);
            TrainCount = _dpoTrain.Count;
        }
        else
        {
            _sftTrain = TokenizeSft(tokenizer, data.Train);
            _sftHeldOut = TokenizeSft(tokenizer, heldOut);
            TrainCount = _sftTrain.Count;
        }
        HeldOutCount = config.IsDpo ? _dpoHeldOut.Count : _sftHeldOut.Count;
        Truncated = tokenizer.Truncated;
        Dropped = tokenizer.Dropped;
        if (TrainCount == 0)
            throw new ArgumentException($"{config.Data.Path}: no trainable examples after tokenization ({tokenizer.Dropped} had no response token left)");
        TotalSteps = _options.ResolveSteps(TrainCount);
        if (!config.IsFull) _adapters = LoraAdapterSet.Attach(model.Model, config.Lora.ToConfig(model.Directory), config.Training.Seed);
    }

    public int TotalSteps { get; }
    public int TrainCount { get; }
    public int HeldOutCount { get; }
    /// <summary>Examples cut to max_sequence_length (prompt first, then the tail).</summary>
    public int Truncated { get; }
    /// <summary>Examples dropped because no response token fitted.</summary>
    public int Dropped { get; }
    /// <summary>The attached adapters (null when every parameter is trained).</summary>
    public LoraAdapterSet? Adapters => _adapters;

    public TrainingRunResult Run(ITrainingObserver? observer = null, CancellationToken cancellation = default)
    {
        observer ??= new SilentObserver();
        string output = _config.OutputDir!;
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, ConfigFileName), JsonSerializer.Serialize(_config, ConfigJson));
        // LoRA dropout draws from libtorch's global generator.
        manual_seed(unchecked((long)(_config.Training.Seed & 0x7FFFFFFFFFFFFFFFUL)));

        var steps = new List<TrainingStep>(TotalSteps);
        var evaluations = new List<TrainingEvaluation>();
        string metricsPath = Path.Combine(output, MetricsFileName);
        using (var log = new MetricsLog(metricsPath))
        {
            if (_config.IsDpo) RunDpo(log, observer, steps, evaluations, cancellation);
            else RunSft(log, observer, steps, evaluations, cancellation);
        }

        if (_adapters is not null)
            _adapters.Save(output, new Dictionary<string, string> { ["method"] = _config.Method.ToLowerInvariant() });
        else
            ModelFolderWriter.Write(_model, output, ScalarType.Float32);
        return new TrainingRunResult(output, metricsPath, _adapters is null, steps, evaluations);
    }

    private void RunSft(MetricsLog log, ITrainingObserver observer, List<TrainingStep> steps, List<TrainingEvaluation> evaluations, CancellationToken cancellation)
    {
        IReadOnlyList<Parameter> trainable = _adapters is not null
            ? _adapters.Parameters.Select(p => p.Parameter).ToList()
            : _model.Model.parameters().ToList();
        TrainingEvaluation Evaluate(int step) => WithoutDropout(() =>
            new TrainingEvaluation(step, CausalLmLoss.Evaluate(_model.Model, _sftHeldOut, _options.BatchSize, _padId), _sftHeldOut.Count));

        Record(Evaluate(0), log, observer, evaluations);
        using var trainer = new SftTrainer(_model.Model, trainable, _options, _padId);
        SetTraining(true);
        try
        {
            trainer.Train(_sftTrain, metrics => OnStep(
                new TrainingStep(metrics.Step + 1, metrics.Loss, metrics.LearningRate, metrics.GradNorm, metrics.Tokens),
                _ => { }, Evaluate, log, observer, steps, evaluations), cancellation);
        }
        finally
        {
            SetTraining(false);
        }
    }

    private void RunDpo(MetricsLog log, ITrainingObserver observer, List<TrainingStep> steps, List<TrainingEvaluation> evaluations, CancellationToken cancellation)
    {
        using var trainer = new DpoTrainer(_adapters!, _options, _padId, _config.Dpo.Beta);
        var reference = trainer.ReferenceLogProbs(_dpoHeldOut);
        TrainingEvaluation Evaluate(int step) => WithoutDropout(() =>
        {
            var score = trainer.Evaluate(_dpoHeldOut, reference);
            return new TrainingEvaluation(step, score.Loss, score.Pairs, score.Accuracy, score.Margin);
        });

        Record(Evaluate(0), log, observer, evaluations);
        SetTraining(true);
        try
        {
            trainer.Train(_dpoTrain, metrics => OnStep(
                new TrainingStep(metrics.Step + 1, metrics.Loss, metrics.LearningRate, metrics.GradNorm, metrics.Tokens),
                line =>
                {
                    line["rewards/chosen"] = MetricsLog.Number(metrics.RewardChosen);
                    line["rewards/rejected"] = MetricsLog.Number(metrics.RewardRejected);
                    line["rewards/margins"] = MetricsLog.Number(metrics.Margin);
                    line["rewards/accuracies"] = MetricsLog.Number(metrics.Accuracy);
                }, Evaluate, log, observer, steps, evaluations), cancellation);
        }
        finally
        {
            SetTraining(false);
        }
    }

    /// <summary>After each optimiser step: keep it, log its line (plus any method-specific fields), report it, evaluate when due.</summary>
    private void OnStep(TrainingStep step, Action<JsonObject> addFields, Func<int, TrainingEvaluation> evaluate,
        MetricsLog log, ITrainingObserver observer, List<TrainingStep> steps, List<TrainingEvaluation> evaluations)
    {
        steps.Add(step);
        var line = StepLine(step);
        addFields(line);
        log.Write(line);
        observer.StepCompleted(step.Step, TotalSteps);
        if (IsEvaluationStep(step.Step)) Record(evaluate(step.Step), log, observer, evaluations);
    }

    private bool IsEvaluationStep(int step) =>
        step == TotalSteps || (_config.Training.EvalEvery > 0 && step % _config.Training.EvalEvery == 0);

    private void Record(TrainingEvaluation evaluation, MetricsLog log, ITrainingObserver observer, List<TrainingEvaluation> evaluations)
    {
        if (evaluation.Examples == 0) return;
        evaluations.Add(evaluation);
        var line = new JsonObject
        {
            ["type"] = "eval",
            ["step"] = evaluation.Step,
            ["held_out_loss"] = MetricsLog.Number(evaluation.HeldOutLoss),
            ["examples"] = evaluation.Examples,
        };
        if (!_config.IsDpo) line["held_out_perplexity"] = MetricsLog.Number(Math.Exp(evaluation.HeldOutLoss));
        if (evaluation.Accuracy is double accuracy) line["rewards/accuracies"] = MetricsLog.Number(accuracy);
        if (evaluation.Margin is double margin) line["rewards/margins"] = MetricsLog.Number(margin);
        log.Write(line);
        observer.Evaluated(evaluation);
    }

    private static JsonObject StepLine(TrainingStep step) => new()
    {
        ["type"] = "step",
        ["step"] = step.Step,
        ["loss"] = MetricsLog.Number(step.Loss),
        ["lr"] = MetricsLog.Number(step.LearningRate),
        ["grad_norm"] = MetricsLog.Number(step.GradNorm),
        ["tokens"] = step.Tokens,
    };

    /// <summary>Evaluation runs with dropout off, then training resumes in the mode it was in.</summary>
    private T WithoutDropout<T>(Func<T> evaluate)
    {
        if (_adapters is not null) _adapters.Training = false;
        try { return evaluate(); }
        finally { if (_adapters is not null) _adapters.Training = _training; }
    }

    private void SetTraining(bool training)
    {
        _training = training;
        if (_adapters is not null) _adapters.Training = training;
    }

    private static List<TokenizedExample> TokenizeSft(ExampleTokenizer tokenizer, IEnumerable<Example> examples) =>
        examples.Select(e => e switch
        {
            InstructionExample instruction => tokenizer.Tokenize(instruction.Conversation),
            TextExample text => tokenizer.TokenizeText(text.Text),
            _ => throw new ArgumentException($"{e.Metadata.Source}: not an SFT example"),
        }).OfType<TokenizedExample>().ToList();

    private static List<PreferencePair> TokenizePairs(ExampleTokenizer tokenizer, IEnumerable<Example> examples) =>
        examples.Select(e => e is PreferenceExample preference
                ? tokenizer.Tokenize(preference)
                : throw new ArgumentException($"{e.Metadata.Source}: not a preference example"))
            .OfType<PreferencePair>().ToList();

    private static readonly JsonSerializerOptions ConfigJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    private sealed class SilentObserver : ITrainingObserver;
}
