using FedLlm.Models.Llama;
using FedLlm.Tokenization;
using static TorchSharp.torch;

namespace FedLlm.Models.Presets;

/// <summary>Writes a randomly initialised Llama in Hugging Face format next to an existing tokenizer; deterministic from the seed.</summary>
public static class RandomModel
{
    public static ModelConfig Create(string directory, ModelPreset preset, ITokenizer tokenizer, ulong seed)
    {
        Directory.CreateDirectory(directory);
        var config = preset.ToConfig(tokenizer.VocabSize, tokenizer.BosId, tokenizer.EosId, tokenizer.PadId);
        using var model = new CausalLm(config, ScalarType.Float32);
        using (var generator = new Generator(seed)) model.InitialiseRandom(generator);
        config.Save(Path.Combine(directory, "config.json"));
        ModelWeights.Save(model, directory);
        new GenerationConfig
        {
            BosTokenId = tokenizer.BosId,
            EosTokenIds = tokenizer.EosId is int eos ? [eos] : [],
        }.Save(directory);
        return config;
    }
}
