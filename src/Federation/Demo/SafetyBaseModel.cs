using FedLlm.Data.Demo;
using FedLlm.Data.Model;
using FedLlm.Federation.Runs;
using FedLlm.Synthesis.Safety;

namespace FedLlm.Federation.Demo;

/// <summary>
/// The safety experiment's base model: the demo's tiny Llama, warmed up on the demo's format tasks plus an alignment
/// lesson — training harmful requests refused (also when they carry the defense's safety suffix, so the level-3
/// defense has something to ask of the model), benign requests of the same shape answered — so that "aligned" is
/// measurable as a refusal rate on held-out harmful requests. Demo tasks are left out, as in the demo's base.
/// </summary>
public static class SafetyBaseModel
{
    public const string Version = "safety-base-v1";
    public const ulong Seed = 13;

    public static IReadOnlyList<InstructionExample> WarmUpExamples()
    {
        var (harmful, _) = DemoSafety.HarmfulActs(Seed);
        return
        [
            .. DemoPretraining.Generate(1500, seed: 11),
            .. DemoSafety.Requests(harmful, 600, Seed + 1, DemoSafety.Refusal, "refusal"),
            .. DemoSafety.Requests(harmful, 200, Seed + 2, DemoSafety.Refusal, "refusal-suffix", SafetySamples.SafetySuffix),
            .. DemoSafety.Requests(DemoSafety.BenignActs(), 600, Seed + 3, DemoSafety.Compliance, "benign"),
        ];
    }

    /// <summary>The tokenizer also sees the attack's compliant answers to harmful requests (its words, not its pairs), so a LoRA can say them.</summary>
    public static string Ensure(string cacheDirectory, string preset, int steps, IRunObserver? observer)
    {
        var warmUp = WarmUpExamples();
        var (harmful, heldOut) = DemoSafety.HarmfulActs(Seed);
        var corpus = DemoBaseModel.TokenizerCorpus(warmUp)
            .Concat(harmful.Concat(heldOut).Select(DemoSafety.Compliance))
            .Concat(DemoSafety.EvaluationPrompts(heldOut));
        return DemoBaseModel.Ensure(cacheDirectory, $"{Version}-{preset}-{steps}", warmUp, corpus, steps, observer, preset);
    }
}
