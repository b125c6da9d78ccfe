using System.CommandLine;
using FedLlm.Cli.Configuration;
using FedLlm.Cli.Output;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Federation.Strategies;
using FedLlm.Models;
using FedLlm.Transport.Client;

namespace FedLlm.Cli.Commands;

/// <summary><c>fedllm client --server URL --config FILE</c>: one organisation's member of a federation.</summary>
public static class ClientCommand
{
    public static Command Build()
    {
        var command = new Command("client", "Join a federation: train on local data, send only model updates");
        var config = new Option<FileInfo>("--config", "-c") { Description = "The run's YAML config with a client: section and this member's data.path", Required = true };
        var server = new Option<string?>("--server") { Description = "Server address, e.g. https://server.example.org:50051" };
        var insecure = new Option<bool>("--insecure") { Description = "Connect over plaintext HTTP/2 (only to an --insecure server)" };
        var printFingerprint = new Option<bool>("--print-fingerprint")
        {
            Description = "Print this member's key-exchange fingerprint (from client.state_directory, made on first use) for the key holder's " +
                "client.member_fingerprints_file, and exit without connecting",
        };
        var set = ConfigFlags.Enable(command);
        command.Add(config);
        command.Add(server);
        command.Add(insecure);
        command.Add(printFingerprint);
        command.SetAction(async (parse, cancellation) =>
        {
            var overrides = ConfigFlags.Collect(parse, set).ToList();
            if (parse.GetValue(server) is { } address) overrides.Add("client.server=" + address);
            if (parse.GetValue(insecure)) overrides.Add("client.insecure=true");
            var file = RunConfigFile.Load(parse.GetValue(config)!.FullName, overrides);
            var (run, client) = (file.Run, file.Client);
            if (parse.GetValue(printFingerprint)) return PrintFingerprint(client);
            var problems = run.Validate(RunPurpose.Join).Concat(client.ValidateForJoining()).ToList();
            if (problems.Count > 0) throw new ArgumentException("invalid client config: " + string.Join("; ", problems));
            var records = SimulateCommand.LoadRecords(run);
            using var model = PretrainedModel.Load(run.Model.Path!, WeightDtypes.Names.Parse(run.Model.Dtype, "model.dtype"));
            var adapters = RunSetup.AttachAdapters(model, run);
            var work = new MemberWork(run, model, adapters, records, client.StateDirectory, ConsoleOutput.Info);
            using var encryption = run.Encryption.Enabled
                ? new MemberEncryption(run.Encryption.CreateSetup(adapters.Layout, run),
                    // A member learns only N at join; the combination where the active count would matter is refused
                    // by RunConfig.ValidateFederation on the server.
                    size => run.CreateStrategy(size, size), client.StateDirectory, client.Pins())
                : null;
            string finalAdapter = Path.Combine(client.StateDirectory, "final_adapter");
            await new FederationClient(client, adapters.Layout, work, ConsoleOutput.Info)
            {
                Encryption = encryption,
                // Encrypted runs: the server never holds the trained adapter, so every member writes it.
                SaveFinalGlobal = global =>
                {
                    adapters.Load(global);
                    adapters.Save(finalAdapter);
                    ConsoleOutput.Info($"final global adapter (PEFT format): {Path.GetFullPath(finalAdapter)}");
                },
            }.RunAsync(cancellation);
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The fingerprint operators collect out of band: stdout holds only it (64 hex digits), so it can be piped into
    /// the key holder's pin file. Nothing connects; only the key pair may be written, on first use.
    /// </summary>
    private static int PrintFingerprint(ClientSection client)
    {
        if (client.Validate() is { Count: > 0 } problems) throw new ArgumentException("invalid client config: " + string.Join("; ", problems));
        using var identity = MemberEncryption.LoadIdentity(client.StateDirectory);
        Console.Out.WriteLine(identity.Fingerprint);
        return 0;
    }
}
