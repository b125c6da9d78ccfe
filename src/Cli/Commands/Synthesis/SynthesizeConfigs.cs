using FedLlm.Generation;
using FedLlm.Synthesis.KnowledgeSg;
using FedLlm.Synthesis.U2s;

namespace FedLlm.Cli.Commands.Synthesis;

/// <summary>
/// <c>fedllm synthesize u2s</c>'s keys (YAML via --config, every key also a flag): FedIT-U2S's own (k, chunk_tokens,
/// sampling.temperature, …), the seed and the generator.
/// </summary>
public sealed record SynthesizeU2sConfig : U2sOptions
{
    public ulong Seed { get; init; } = 42;
    public GeneratorSection Generator { get; init; } = new();
}

/// <summary>
/// <c>fedllm synthesize knowledgesg</c>'s keys: KnowledgeSG's own, the seed, the DP model (the base with the client's
/// DP adapter: in-process via generator.adapter_path, or an endpoint serving it) and the professional model.
/// </summary>
public sealed record SynthesizeKnowledgesgConfig : KnowledgeSgOptions
{
    public ulong Seed { get; init; } = 42;
    public GeneratorSection Generator { get; init; } = new();
    public GeneratorSection Professional { get; init; } = new();
}
