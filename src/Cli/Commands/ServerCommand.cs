using System.CommandLine;
using FedLlm.Cli.Configuration;
using FedLlm.Cli.Output;
using FedLlm.Federation.Simulation;
using FedLlm.Models;
using FedLlm.Transport.Server;

namespace FedLlm.Cli.Commands;

/// <summary><c>fedllm server --config FILE</c>: owns a federated run and serves it to clients over gRPC.</summary>
public static class ServerCommand
{
    public static Command Build()
    {
        var command = new Command("server", "Run a federation server over gRPC (TLS by default); resumes its run after a restart");
        var config = new Option<FileInfo>("--config", "-c") { Description = "YAML: the run's keys (as for simulate) plus a server: section", Required = true };
        var insecure = new Option<bool>("--insecure") { Description = "Serve plaintext HTTP/2 without TLS (trusted networks and local tests only)" };
        var set = ConfigFlags.Enable(command);
        command.Add(config);
        command.Add(insecure);
        command.SetAction(async (parse, cancellation) =>
        {
            var overrides = ConfigFlags.Collect(parse, set).ToList();
            if (parse.GetValue(insecure)) overrides.Add("server.insecure=true");
            var (run, server) = ConfigLoader.LoadWithSection<SimulationConfig, ServerSection>(parse.GetValue(config)!.FullName, overrides, "server", "client");
            var problems = FederationServer.Validate(run, server);
            if (problems.Count > 0) throw new ArgumentException("invalid server config: " + string.Join("; ", problems));
            using var model = PretrainedModel.Load(run.Model.Path ?? throw new ArgumentException("model.path is required"), ModelOptions.ParseDType(run.Model.DType));
            var federation = new FederationServer(run, server, RunSetup.AttachAdapters(model, run))
            {
                Listening = address => ConsoleOutput.Info($"listening on {address} for {server.Clients.Count} client(s)"),
            };
            await federation.RunAsync(cancellation);
            ConsoleOutput.Info(run.Encryption.Enabled
                ? "Run finished. The updates were encrypted: only the members hold the trained adapter (final_adapter in each client's state_directory)."
                : $"Run finished. Global adapter (PEFT format): {new RunDirectory(run.RunDirectory).FinalAdapterDirectory}");
            return 0;
        });
        return command;
    }
}
