using FedLlm.Generation;
using FedLlm.Synthesis.FedGc;
using FedLlm.Synthesis.U2s;

namespace FedLlm.Federation.Configuration;

/// <summary>
/// The <c>u2s:</c> section: before round 1 every client turns its own records' raw text into instruction data with
/// FedIT-U2S (docs/synthesis.md), using the public example pool and a generator run where the client's data is; then
/// the run trains as usual on what was written. The pipeline's own keys are <see cref="U2sOptions"/>'s.
/// </summary>
public sealed record U2sSection : U2sOptions
{
    public bool Enabled { get; init; }

    /// <summary>The public pool of instruction/response examples (every client holds the same file; see docs/synthesis.md).</summary>
    public string? Pool { get; init; }

    /// <summary>The open model the server hands out, run by each client on its own machine (in-process, or its own local endpoint).</summary>
    public GeneratorSection Generator { get; init; } = new();

    public IReadOnlyList<string> Validate(RunPurpose purpose, bool dpo)
    {
        if (!Enabled) return [];
        var problems = new List<string>();
        if (purpose == RunPurpose.Train)
            problems.Add("u2s.enabled applies to federated runs; on one machine run `fedllm synthesize u2s` and train on its output");
        if (Pool is null) problems.Add("u2s.pool is required: the public instruction/response examples shown with each chunk");
        // The server reads the same file but never uses the pool: only clients need it where they run.
        else if (purpose != RunPurpose.Serve && !File.Exists(Pool)) problems.Add($"u2s.pool '{Pool}' does not exist");
        if (dpo) problems.Add("u2s.enabled writes instruction data for SFT: it cannot be combined with method dpo");
        problems.AddRange(ValidateOptions("u2s."));
        problems.AddRange(Generator.Validate("u2s.generator."));
        return problems;
    }
}

/// <summary>
/// The <c>fedgc:</c> section: before round 1 every client adds FedGC-generated rows (tagged <c>origin: fedgc</c>) to its
/// own training records; held-out records stay real. The pipeline's own keys are <see cref="FedGcOptions"/>'s.
/// </summary>
public sealed record FedgcSection : FedGcOptions
{
    public bool Enabled { get; init; }

    /// <summary>The generator each client calls (FedGC used ChatGPT for text: typically an endpoint).</summary>
    public GeneratorSection Generator { get; init; } = new();

    public IReadOnlyList<string> Validate(RunConfig config, RunPurpose purpose, bool dpo)
    {
        if (!Enabled) return [];
        var problems = new List<string>();
        if (purpose == RunPurpose.Train)
            problems.Add("fedgc.enabled applies to federated runs (each client augments its own data before round 1)");
        if (dpo) problems.Add("fedgc.enabled generates instruction data for SFT: it cannot be combined with method dpo");
        if (config.U2s.Enabled) problems.Add("give u2s.enabled or fedgc.enabled, not both: each rewrites the clients' training records before round 1");
        problems.AddRange(ValidateOptions("fedgc."));
        problems.AddRange(Generator.Validate("fedgc.generator."));
        return problems;
    }
}
