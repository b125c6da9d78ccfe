using System.CommandLine;
using FedLlm.Cli.Configuration;
using FedLlm.Cli.Output;
using FedLlm.Evaluation.Runner;
using FedLlm.Evaluation.Suites;

namespace FedLlm.Cli.Commands;

/// <summary>
/// <c>fedllm eval --model DIR [--adapter [NAME=]DIR ...] --suite FILE [--out DIR]</c>: runs a YAML suite of tasks on the base
/// model and every adapter (one base load), and writes results.json, report.md and report.html.
/// </summary>
public static class EvalCommand
{
    public static Command Build()
    {
        var command = new Command("eval", "Evaluate a model and its LoRA adapters on a YAML suite of tasks (perplexity, exact match, classification, multiple choice, ROUGE-L, refusal rate, LLM judge)");
        var model = ModelOptions.Model();
        var adapters = ModelOptions.Adapters("A PEFT adapter to evaluate over the base: NAME=DIR or DIR (repeatable; all share one base load)");
        var suite = new Option<FileInfo>("--suite", "-s") { Description = "The suite's YAML file (see docs/evaluation.md)", Required = true };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Folder for results.json, report.md and report.html (default: evals/<suite name>)" };
        var includeBase = new Option<bool>("--base") { Description = "With adapters, evaluate the base model too" };
        var dtype = ModelOptions.DType();
        foreach (var option in new Option[] { model, adapters, suite, output, includeBase, dtype }) command.Add(option);
        var set = ConfigFlags.Enable(command);
        command.SetAction(async (parse, cancellation) =>
        {
            var file = parse.GetRequiredValue(suite);
            var loaded = LoadSuite(file.FullName, ConfigFlags.Collect(parse, set));
            var target = new EvalTarget(parse.GetRequiredValue(model).FullName, (parse.GetValue(adapters) ?? []).Select(ModelOptions.ParseAdapter).ToList(),
                parse.GetValue(includeBase), parse.GetValue(dtype)!);
            if (!Directory.Exists(target.ModelPath)) throw new DirectoryNotFoundException($"--model: {target.ModelPath} does not exist");
            var results = await new EvalRunner(loaded, target)
            {
                Progress = (task, name, step, total) => ConsoleOutput.Info($"[{step}/{total}] {task} on {name}"),
            }.RunAsync(cancellation);
            string folder = parse.GetValue(output)?.FullName ?? Path.GetFullPath(Path.Combine("evals", loaded.Name));
            Console.Out.Write(EvalReport.Write(folder, loaded, results));
            ConsoleOutput.Info($"Results: {Path.Combine(folder, EvalReport.JsonFile)}");
            ConsoleOutput.Info($"Report: {Path.Combine(folder, EvalReport.HtmlFile)}");
            return 0;
        });
        return command;
    }

    /// <summary>A suite file with its overrides, paths taken relative to the file, checked before anything loads.</summary>
    public static EvalSuite LoadSuite(string path, IEnumerable<string> overrides)
    {
        var suite = ConfigLoader.Load<EvalSuite>(path, overrides).ResolvePaths(Path.GetDirectoryName(Path.GetFullPath(path))!);
        EvalSuiteValidation.ThrowIfInvalid(suite);
        return suite;
    }
}
