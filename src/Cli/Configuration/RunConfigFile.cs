using FedLlm.Federation.Configuration;
using FedLlm.Transport.Client;
using FedLlm.Transport.Server;

namespace FedLlm.Cli.Configuration;

/// <summary>
/// The one config file of a run, as every command reads it: the run's keys (<see cref="RunConfig"/>) plus the
/// deployment's <c>server:</c> and <c>client:</c> sections. All keys are checked whichever command reads it, so the same
/// file runs unchanged through <c>train</c>, <c>simulate</c>, <c>server</c> and <c>client</c>.
/// </summary>
public sealed record RunConfigFile(RunConfig Run, ServerSection Server, ClientSection Client)
{
    public const string ServerKey = "server";
    public const string ClientKey = "client";

    public static RunConfigFile Load(string? path, IEnumerable<string> overrides)
    {
        var (run, server, client) = ConfigLoader.LoadWithSections<RunConfig, ServerSection, ClientSection>(path, overrides, ServerKey, ClientKey);
        return new RunConfigFile(run, server, client);
    }
}
