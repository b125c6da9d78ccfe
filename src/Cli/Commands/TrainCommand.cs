using System.CommandLine;
using System.Globalization;
using FedLlm.Cli.Configuration;
using FedLlm.Cli.Output;
using FedLlm.Evaluation.Reporting;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Models;
using FedLlm.Training.Runs;

namespace FedLlm.Cli.Commands;

/// <summary>
/// <c>fedllm train --config FILE [--key value | --set key=value]... [--on-bad-row skip|fail]</c>: fine-tuning of one
/// party's data on one machine, with the same run config (and so the same split, tokenizer, LoRA and trainer) as that
/// party's federated client. Federation keys (strategy, rounds, encryption, server, client) are not used; a
/// <c>privacy:</c> mode is refused, since this command has no DP-SGD and would otherwise train without privacy.
/// </summary>
public static class TrainCommand
{
    public const string LossPlotFileName = "loss.png";

    public static Command Build()
    {
        var command = new Command("train",
            "Fine-tune a model on one dataset on this machine: LoRA or all parameters, SFT or DPO (YAML config; every key also a flag, e.g. --lora.rank 4)");
        var config = new Option<FileInfo?>("--config", "-c") { Description = "The run's YAML config (see docs/configuration.md); a federated run's file works as it is" };
        var onBadRow = SimulateCommand.BadRowOption();
        command.Add(config);
        command.Add(onBadRow);
        var set = ConfigFlags.Enable(command);
        command.SetAction((parse, cancellation) =>
            Task.FromResult(Run(RunConfigFile.Load(parse.GetValue(config)?.FullName, SimulateCommand.Overrides(parse, set, onBadRow)).Run, cancellation)));
        return command;
    }

    private static int Run(RunConfig config, CancellationToken cancellation)
    {
        config.ThrowIfInvalid(RunPurpose.Train);
        var records = SimulateCommand.LoadRecords(config);
        using var model = PretrainedModel.Load(config.Model.Path!, WeightDtypes.Names.Parse(config.Model.Dtype, "model.dtype"));
        var (run, truncated, _) = LocalTraining.Prepare(config, model, records);
        string what = run.Adapters is { } adapters
            ? $"LoRA r={adapters.Config.Rank} on {string.Join(",", adapters.Config.TargetModules)} ({adapters.Layout.TotalLength:N0} parameters)"
            : $"all {model.Model.parameters().Sum(p => p.numel()):N0} parameters";
        string method = config.MethodKind.ToString().ToUpperInvariant();
        ConsoleOutput.Info($"{method} of {what}: {run.TrainCount} training and {run.HeldOutCount} held-out examples, " +
                           $"{run.TotalSteps} steps" + (truncated > 0 ? $" ({truncated} examples cut to {config.Training.MaxSequenceLength} tokens)" : ""));

        var result = ConsoleOutput.WithProgress("Training", run.TotalSteps, progress => run.Run(new Observer(progress), cancellation));

        string plot = Path.Combine(config.RunDirectory, LossPlotFileName);
        PlotWriter.Lines(plot, $"{method} loss", "step", "loss",
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
