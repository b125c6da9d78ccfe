using System.CommandLine;
using FedLlm.Cli.Commands;
using FedLlm.Cli.Commands.Synthesis;
using FedLlm.Cli.Output;

namespace FedLlm.Cli;

/// <summary>The <c>fedllm</c> command tree and its error policy: one clear line per failure, stack traces only with --verbose.</summary>
public static class CliApp
{
    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Show stack traces and detailed logs",
        Recursive = true,
    };

    public static RootCommand Build()
    {
        var root = new RootCommand("FedLlm: federated LoRA fine-tuning of Llama-family models on .NET.");
        root.Add(Verbose);
        root.Add(ConvertCommand.Build());
        root.Add(InitCommand.Build());
        root.Add(GenerateCommand.Build());
        root.Add(ServeCommand.Build());
        root.Add(SynthesizeCommand.Build());
        root.Add(ExperimentCommand.Build());
        root.Add(ScoreCommand.Build());
        root.Add(EvalCommand.Build());
        root.Add(TrainCommand.Build());
        root.Add(ExportCommand.Build());
        root.Add(SimulateCommand.Build());
        root.Add(BenchCommand.Build());
        root.Add(DemoCommand.Build());
        root.Add(ServerCommand.Build());
        root.Add(ClientCommand.Build());
        root.Add(CertsCommand.Build());
        root.Add(PrivacyCommand.Build());
        root.Add(PartitionCommand.Build());
        root.Add(ReportCommand.Build());
        // With no verb, fedllm runs the built-in demo (the README's main command).
        root.Add(DemoCommand.Output);
        root.Add(DemoCommand.Cache);
        root.SetAction(DemoCommand.RunAsync);
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var root = Build();
        var parse = root.Parse(args);
        bool verbose = parse.GetValue(Verbose);
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            ConsoleOutput.Error(e, verbose);
            return e is OperationCanceledException ? 130 : 1;
        }
    }
}
