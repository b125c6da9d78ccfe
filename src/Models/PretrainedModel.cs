using FedLlm.Models.Llama;
using FedLlm.Tokenization;
using static TorchSharp.torch;

namespace FedLlm.Models;

/// <summary>A Hugging Face causal-LM folder loaded into memory: config, weights, tokenizer and generation defaults.</summary>
public sealed class PretrainedModel : IDisposable
{
    private PretrainedModel(string directory, ModelConfig config, CausalLm model, ITokenizer tokenizer, GenerationConfig? generation)
    {
        Directory = directory;
        Config = config;
        Model = model;
        Tokenizer = tokenizer;
        Generation = generation;
    }

    public string Directory { get; }
    public ModelConfig Config { get; }
    public CausalLm Model { get; }
    public ITokenizer Tokenizer { get; }
    public GenerationConfig? Generation { get; }

    /// <summary>End-of-sequence ids from generation_config.json, config.json and the tokenizer, in that order of authority.</summary>
    public IReadOnlySet<int> EosTokenIds
    {
        get
        {
            var ids = new HashSet<int>(Generation?.EosTokenIds ?? []);
            ids.UnionWith(Config.EosTokenIds);
            if (Tokenizer.EosId is int eos) ids.Add(eos);
            return ids;
        }
    }

    public int? BosTokenId => Generation?.BosTokenId ?? Config.BosTokenId ?? Tokenizer.BosId;

    /// <summary>The EOS token's text, used as a template's end-of-turn marker so the model learns to stop.</summary>
    public string? EndOfTurnToken => Tokenizer.EosId is int eos ? Tokenizer.IdToToken(eos) : null;

    /// <summary>Padding id: the tokenizer's, else config.json's, else EOS (padding never carries a label, so any id works).</summary>
    public int PadId => Tokenizer.PadId ?? Config.PadTokenId ?? Tokenizer.EosId ?? 0;

    /// <summary>BOS to prepend to every sequence, when the tokenizer adds one by default; null otherwise.</summary>
    public int? PrependedBosId => Tokenizer.AddBosByDefault ? BosTokenId : null;

    /// <summary>A prompt as the model reads it: BOS when the tokenizer adds one, then the text's tokens (special tokens parsed).</summary>
    public List<int> EncodePrompt(string text)
    {
        var ids = new List<int>();
        if (PrependedBosId is int bos) ids.Add(bos);
        ids.AddRange(Tokenizer.Encode(text).Select(t => t.Id));
        return ids;
    }

    /// <param name="dtype">Base-weight dtype in memory: float32, or bfloat16 (fast on CPUs with AVX512-BF16). Never float16.</param>
    public static PretrainedModel Load(string directory, ScalarType dtype = ScalarType.Float32)
    {
        if (!System.IO.Directory.Exists(directory))
            throw new ModelLoadException(directory, "model directory does not exist");
        var config = ModelConfig.Load(Path.Combine(directory, "config.json"));
        var tokenizer = TokenizerLoader.Load(directory);
        var generation = GenerationConfig.TryLoad(directory);
        var model = new CausalLm(config, dtype);
        try
        {
            ModelWeights.Load(model, directory);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return new PretrainedModel(directory, config, model, tokenizer, generation);
    }

    public void Dispose() => Model.Dispose();
}
