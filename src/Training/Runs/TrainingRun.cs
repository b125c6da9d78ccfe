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

/// <summary>What <see cref="TrainingRun"/> needs beyond the model and the tokenized data (built from the run config).</summary>
public sealed record TrainingRunSettings
{
    public required TrainingMethod Method { get; init; }
    /// <summary>The run folder: metrics.jsonl and config.json in it, the adapter (or full model) in a folder below.</summary>
    public required string RunDirectory { get; init; }
    public required TrainerOptions Trainer { get; init; }
    /// <summary>The adapters to attach; null trains every parameter.</summary>
    public LoraConfig? Lora { get; init; }
    /// <summary>LoRA initialisation and dropout.</summary>
    public ulong Seed { get; init; }
    public double DpoBeta { get; init; } = 0.1;
    /// <summary>Evaluate every N optimiser steps (and always before the first and after the last); 0 = only then.</summary>
    public int EvaluateEvery { get; init; }
    /// <summary>The config as given, saved as config.json in the run folder.</summary>
    public JsonNode? Config { get; init; }

    public bool IsDpo => Method == TrainingMethod.Dpo;
}

/// <summary>
/// Fine-tunes one model on one party's data on this machine: attaches LoRA adapters (or trains every parameter), runs
/// <see cref="SftTrainer"/> or <see cref="DpoTrainer"/>, evaluates held-out loss before, every <c>evaluation.every</c>
/// steps and after, and writes the adapter (PEFT, in <c>adapter/</c>) or full model folder (<c>model/</c>) plus
/// <c>metrics.jsonl</c> into the run folder.
/// </summary>
public sealed class TrainingRun
{
    public const string MetricsFileName = "metrics.jsonl";
    public const string ConfigFileName = "config.json";
    public const string AdapterFolder = "adapter";
    public const string ModelFolder = "model";

    private readonly TrainingRunSettings _settings;
    private readonly PretrainedModel _model;
    private readonly TrainerOptions _options;
    private readonly LoraAdapterSet? _adapters;
    private readonly int _padId;
    private readonly TokenizedData _train;
    private readonly TokenizedData _heldOut;
    private bool _training;

    /// <summary>Attaches adapters; nothing is trained or written yet.</summary>
    public TrainingRun(TrainingRunSettings settings, PretrainedModel model, TokenizedData train, TokenizedData heldOut)
    {
        _settings = settings;
        _model = model;
        _options = settings.Trainer;
        _padId = model.PadId;
        _train = train;
        _heldOut = heldOut;
        if (train.Count == 0) throw new ArgumentException("no trainable examples after tokenization");
        TotalSteps = _options.ResolveSteps(train.Count);
        if (settings.Lora is { } lora) _adapters = LoraAdapterSet.Attach(model.Model, lora, settings.Seed);
    }

    public int TotalSteps { get; }
    public int TrainCount => _train.Count;
    public int HeldOutCount => _heldOut.Count;
    /// <summary>The attached adapters (null when every parameter is trained).</summary>
    public LoraAdapterSet? Adapters => _adapters;

    public TrainingRunResult Run(ITrainingObserver? observer = null, CancellationToken cancellation = default)
    {
        observer ??= new SilentObserver();
        string runFolder = Directory.CreateDirectory(_settings.RunDirectory).FullName;
        if (_settings.Config is { } config)
            File.WriteAllText(Path.Combine(runFolder, ConfigFileName), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        // LoRA dropout draws from libtorch's global generator.
        manual_seed(unchecked((long)(_settings.Seed & 0x7FFFFFFFFFFFFFFFUL)));

        var steps = new List<TrainingStep>(TotalSteps);
        var evaluations = new List<TrainingEvaluation>();
        string metricsPath = Path.Combine(runFolder, MetricsFileName);
        using (var log = new MetricsLog(metricsPath))
        {
            if (_settings.IsDpo) RunDpo(log, observer, steps, evaluations, cancellation);
            else RunSft(log, observer, steps, evaluations, cancellation);
        }

        string output = Path.Combine(runFolder, _adapters is null ? ModelFolder : AdapterFolder);
        if (_adapters is not null)
            _adapters.Save(output, new Dictionary<string, string> { ["method"] = TrainingMethods.Names.NameOf(_settings.Method) });
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
            new TrainingEvaluation(step, CausalLmLoss.Evaluate(_model.Model, _heldOut.Sequences, _options.BatchSize, _padId), _heldOut.Count));

        Record(Evaluate(0), log, observer, evaluations);
        using var trainer = new SftTrainer(_model.Model, trainable, _options, _padId);
        SetTraining(true);
        try
        {
            trainer.Train(_train.Sequences, metrics => OnStep(
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
        using var trainer = new DpoTrainer(_adapters!, _options, _padId, _settings.DpoBeta);
        var reference = DpoScoring.ReferenceLogProbs(_adapters!, _heldOut.Pairs, _options.BatchSize, _padId);
        TrainingEvaluation Evaluate(int step) => WithoutDropout(() =>
        {
            var score = DpoScoring.Evaluate(_model.Model, _heldOut.Pairs, reference, _settings.DpoBeta, _options.BatchSize, _padId);
            return new TrainingEvaluation(step, score.Loss, score.Pairs, score.Accuracy, score.Margin);
        });

        Record(Evaluate(0), log, observer, evaluations);
        SetTraining(true);
        try
        {
            trainer.Train(_train.Pairs, metrics => OnStep(
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
        step == TotalSteps || (_settings.EvaluateEvery > 0 && step % _settings.EvaluateEvery == 0);

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
        if (!_settings.IsDpo) line["held_out_perplexity"] = MetricsLog.Number(Math.Exp(evaluation.HeldOutLoss));
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

    private sealed class SilentObserver : ITrainingObserver;
}
