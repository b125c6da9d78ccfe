using System.CommandLine;
using System.Globalization;
using FedLlm.Cli.Configuration;
using FedLlm.Cli.Output;
using FedLlm.Evaluation.Reporting;
using FedLlm.Models;
using FedLlm.Training.Runs;

namespace FedLlm.Cli.Commands;

/// <summary><c>fedllm train --config FILE [--key value | --set key=value]... [--on-bad-row skip|fail]</c>: fine-tuning on one machine.</summary>
public static class TrainCommand
{
    public const string LossPlotFileName = "loss.png";

    public static Command Build()
    {
        var command = new Command("train",
            "Fine-tune a model on one dataset on this machine: LoRA or all parameters, SFT or DPO (YAML config; every key also a flag, e.g. --lora.rank 4)");
        var config = new Option<FileInfo?>("--config", "-c") { Description = "YAML config (snake_case keys; see docs/training.md)" };
        var onBadRow = SimulateCommand.BadRowOption();
        command.Add(config);
        command.Add(onBadRow);
        var set = ConfigFlags.Enable(command);
        command.SetAction((parse, cancellation) =>
            Task.FromResult(Run(ConfigLoader.Load<TrainConfig>(parse.GetValue(config)?.FullName, SimulateCommand.Overrides(parse, set, onBadRow)), cancellation)));
        return command;
    }

    private static int Run(TrainConfig config, CancellationToken cancellation)
    {
        var problems = config.Validate();
        if (problems.Count > 0) throw new ArgumentException("invalid config: " + string.Join("; ", problems));

        var data = TrainingData.Load(config);
        foreach (var report in data.Reports) LoadReportOutput.Print(report);
        using var model = PretrainedModel.Load(config.Model.Path!, ModelOptions.ParseDType(config.Model.Dtype));
        var run = new TrainingRun(config, model, data);
        string what = run.Adapters is { } adapters
            ? $"LoRA r={adapters.Config.Rank} on {string.Join(",", adapters.Config.TargetModules)} ({adapters.Layout.TotalLength:N0} parameters)"
            : $"all {model.Model.parameters().Sum(p => p.numel()):N0} parameters";
        ConsoleOutput.Info($"{config.Method.ToUpperInvariant()} of {what}: {run.TrainCount} training and {run.HeldOutCount} held-out examples, " +
                           $"{run.TotalSteps} steps" + (run.Truncated > 0 ? $" ({run.Truncated} examples cut to {config.Training.MaxSequenceLength} tokens)" : ""));

        var result = ConsoleOutput.WithProgress("Training", run.TotalSteps, progress => run.Run(new Observer(progress), cancellation));

        string plot = Path.Combine(result.OutputDirectory, LossPlotFileName);
        PlotWriter.Lines(plot, $"{config.Method.ToUpperInvariant()} loss", "step", "loss",
        [
            new PlotSeries("train", result.Steps.Select(s => (double)s.Step).ToList(), result.Steps.Select(s => s.Loss).ToList()),
            new PlotSeries("held-out", result.Evaluations.Select(e => (double)e.Step).ToList(), result.Evaluations.Select(e => e.HeldOutLoss).ToList()),
        ]);

        if (result.Evaluations.Count > 0)
        {
            var first = result.Evaluations[0];
            var last = result.Evaluations[^1];
            ConsoleOutput.Info($"held-out loss {Format(first.HeldOutLoss)} -> {Format(last.HeldOutLoss)}" +
                               (last.Accuracy is double accuracy ? $", preference accuracy {Format(first.Accuracy ?? double.NaN)} -> {Format(accuracy)}" : ""));
        }
        ConsoleOutput.Info(result.FullModel
            ? $"Model folder: {result.OutputDirectory}"
            : $"Adapter (PEFT format): {result.OutputDirectory}");
        ConsoleOutput.Info($"Metrics: {result.MetricsFile}");
        ConsoleOutput.Info($"Loss plot: {plot}");
        return 0;
    }

    private static string Format(double value) => value.ToString("F4", CultureInfo.InvariantCulture);

    /// <summary>Moves the progress bar; in a log (no terminal) also prints each evaluation as it happens.</summary>
    private sealed class Observer(IProgress<double> progress) : ITrainingObserver
    {
        public void StepCompleted(int step, int totalSteps) => progress.Report(step);

        public void Evaluated(TrainingEvaluation evaluation)
        {
            if (ConsoleOutput.IsInteractive) return;
            ConsoleOutput.Info($"step {evaluation.Step}: held-out loss {Format(evaluation.HeldOutLoss)}" +
                               (evaluation.Accuracy is double accuracy ? $", preference accuracy {Format(accuracy)}, margin {Format(evaluation.Margin ?? double.NaN)}" : ""));
        }
    }
}
