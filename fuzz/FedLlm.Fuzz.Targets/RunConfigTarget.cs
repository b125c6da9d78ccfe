using FedLlm.Cli.Configuration;
using FedLlm.Federation.Configuration;
using FedLlm.Transport.Server;

namespace FedLlm.Fuzz.Targets;

/// <summary>
/// A run config file (YAML, with its server: and client: sections) read as every command reads it, then checked as
/// each command checks it. Bad input: <see cref="InvalidDataException"/> (YAML or a value of the wrong type) and
/// <see cref="ArgumentException"/> itself (an unknown key), as <see cref="ConfigLoader"/> documents; a subclass such
/// as ArgumentOutOfRangeException is a bug, not a refusal. Validation returns problems and must never throw.
/// </summary>
public sealed class RunConfigTarget : FuzzTarget
{
    public override string Name => "config";

    public override bool Run(byte[] input, ScratchDirectory scratch)
    {
        string path = scratch.Write("run.yaml", input);
        RunConfigFile file;
        try
        {
            file = RunConfigFile.Load(path, []);
        }
        catch (Exception e) when (e is InvalidDataException || e.GetType() == typeof(ArgumentException))
        {
            return false;
        }
        foreach (var purpose in new[] { RunPurpose.Train, RunPurpose.Simulate, RunPurpose.Partition, RunPurpose.Join })
            file.Run.Validate(purpose);
        FederationServer.Validate(file.Run, file.Server);
        file.Client.ValidateForJoining();
        return true;
    }
}
