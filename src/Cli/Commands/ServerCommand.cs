using System.CommandLine;
using FedLlm.Cli.Configuration;
using FedLlm.Cli.Output;
using FedLlm.Federation.Runs;
using FedLlm.Models;
using FedLlm.Transport.Server;

namespace FedLlm.Cli.Commands;

/// <summary><c>fedllm server --config FILE</c>: coordinates a federation of clients on other machines.</summary>
public static class ServerCommand
{
    public static Command Build()
    {
        var command = new Command("server", "Coordinate a federation over gRPC: the same run as `simulate`, with clients on other machines");
        var config = new Option<FileInfo>("--config", "-c") { Description = "The run's YAML config with a server: section (see docs/deployment.md)", Required = true };
        var insecure = new Option<bool>("--insecure") { Description = "Serve plaintext HTTP/2 without TLS (trusted networks and local tests only)" };
        var set = ConfigFlags.Enable(command);
        command.Add(config);
        command.Add(insecure);
        command.SetAction(async (parse, cancellation) =>
        {
            var overrides = ConfigFlags.Collect(parse, set).ToList();
            if (parse.GetValue(insecure)) overrides.Add("server.insecure=true");
            var file = RunConfigFile.Load(parse.GetValue(config)!.FullName, overrides);
            var (run, server) = (file.Run, file.Server);
            var problems = FederationServer.Validate(run, server);
            if (problems.Count > 0) throw new ArgumentException("invalid server config: " + string.Join("; ", problems));
            using var model = PretrainedModel.Load(run.Model.Path!, WeightDtypes.Names.Parse(run.Model.Dtype, "model.dtype"));
            var federation = new FederationServer(run, server, RunSetup.AttachAdapters(model, run))
            {
                Model = model,
                Listening = address => ConsoleOutput.Info($"listening on {address} for {server.Clients.Count} client(s)"),
            };
            var result = await federation.RunAsync(cancellation);
            if (RunOutcome.NothingAggregated(run, result) is { } nothing)
            {
                ConsoleOutput.Info($"error: {nothing}");
                return 1;
            }
            ConsoleOutput.Info(run.Encryption.Enabled
                ? "Run finished. The updates were encrypted: only the members hold the trained adapter (final_adapter in each client's state_directory)."
                : $"Run finished. Global adapter (PEFT format): {result.Run.FinalAdapterDirectory}");
            ConsoleOutput.Info($"Report: {result.ReportFile}");
            return 0;
        });
        return command;
    }
}
