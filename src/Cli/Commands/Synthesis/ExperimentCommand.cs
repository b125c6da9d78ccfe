using System.CommandLine;
using System.Text;
using FedLlm.Cli.Configuration;
using FedLlm.Cli.Experiments;
using FedLlm.Cli.Output;
using FedLlm.Foundation.Storage;

namespace FedLlm.Cli.Commands.Synthesis;

/// <summary>
/// <c>fedllm experiment u2s|knowledgesg|fedgc --config FILE</c>: a synthetic-data method against its baselines with the
/// same seed, clients and evaluation data; the comparison table is printed and written (results.md, results.json) into
/// the experiment's folder. Example configs for the tiny stories260K model: configs/experiment-*.yaml.
/// </summary>
public static class ExperimentCommand
{
    public static Command Build()
    {
        var command = new Command("experiment", "Run a method against its baselines and write the comparison table");
        command.Add(Build<U2sExperimentConfig>("u2s", "FedIT-U2S: base model vs federated training on raw text vs on the pairs clients wrote from it",
            async (config, observer, cancellation) => Finish(config, await U2sExperiment.RunAsync(config, observer, cancellation))));
        command.Add(Build<KnowledgesgExperimentConfig>("knowledgesg",
            "KnowledgeSG vs non-private local fine-tuning, DP fine-tuning only, and server synthesis without the DP adapter, with a privacy ledger",
            async (config, observer, cancellation) =>
            {
                var (table, ledger) = await KnowledgesgExperiment.RunAsync(config, observer, cancellation);
                Console.Out.WriteLine();
                Console.Out.Write(ledger.ToMarkdown());
                string results = Finish(config, table);
                File.AppendAllText(results, "\n" + ledger.ToMarkdown());
                return results;
            }));
        command.Add(Build<FedgcExperimentConfig>("fedgc", "FedGC: no augmentation vs the default recipe on a Dirichlet-skewed split",
            async (config, observer, cancellation) => Finish(config, await FedgcExperiment.RunAsync(config, observer, cancellation))));
        command.Add(BuildSafety());
        return command;
    }

    /// <summary>
    /// <c>fedllm experiment safety [--config FILE]</c>: no config needed (a built-in base model and data); the table also
    /// goes to results.png as a bar chart.
    /// </summary>
    private static Command BuildSafety()
    {
        var command = new Command("safety",
            "Malicious clients vs FedAvg, each robust aggregator and the post-hoc defense (levels 1 and 3): refusal rate and held-out loss, built-in data");
        var config = new Option<FileInfo?>("--config", "-c") { Description = "Optional YAML overriding the built-in defaults (e.g. rounds, seed, rules); every key is also a flag" };
        command.Add(config);
        var set = ConfigFlags.Enable(command);
        command.SetAction(async (parse, cancellation) =>
        {
            var settings = ConfigLoader.Load<SafetyExperimentConfig>(parse.GetValue(config)?.FullName, ConfigFlags.Collect(parse, set));
            var table = await SafetyExperiment.RunAsync(settings, new ConsoleRunObserver(), cancellation);
            table.Print();
            string results = table.Write(settings.Folder);
            ConsoleOutput.Info($"Results: {results} (chart: {Path.Combine(settings.Folder, SafetyExperiment.ChartFile)})");
            return 0;
        });
        return command;
    }

    private static Command Build<T>(string name, string description, Func<T, ConsoleRunObserver, CancellationToken, Task<string>> run)
        where T : ExperimentConfig, new()
    {
        var command = new Command(name, description);
        var config = new Option<FileInfo?>("--config", "-c") { Description = $"The experiment's YAML (e.g. configs/experiment-{name}-stories260k.yaml); every key is also a flag" };
        command.Add(config);
        var set = ConfigFlags.Enable(command);
        command.SetAction(async (parse, cancellation) =>
        {
            var settings = ConfigLoader.Load<T>(parse.GetValue(config)?.FullName, ConfigFlags.Collect(parse, set));
            if (string.IsNullOrEmpty(settings.Name)) settings = settings with { Name = name };
            string results = await run(settings, new ConsoleRunObserver(), cancellation);
            ConsoleOutput.Info($"Results: {results}");
            return 0;
        });
        return command;
    }

    private static string Finish(ExperimentConfig config, ExperimentTable table)
    {
        table.Print();
        return table.Write(config.Folder);
    }
}
