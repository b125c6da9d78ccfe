using System.Text.Json.Nodes;
using FedLlm.Tokenization;

namespace FedLlm.Federation.Demo;

/// <summary>
/// The demo model's tokenizer: a byte-level BPE (the tokenizer.json kind Qwen2, Llama 3 and SmolLM use) trained on the
/// demo's own text, with ChatML markers as special tokens and &lt;|im_end|&gt; as end of sequence.
/// </summary>
public static class DemoTokenizer
{
    public const string Bos = "<|endoftext|>";
    public const string TurnStart = "<|im_start|>";
    public const string EndOfTurn = "<|im_end|>";
    public const int VocabSize = 600;

    /// <summary>Writes tokenizer.json and tokenizer_config.json into <paramref name="directory"/> and loads the result.</summary>
    public static ITokenizer Create(string directory, IEnumerable<string> corpus)
    {
        File.WriteAllText(Path.Combine(directory, TokenizerLoader.TokenizerJson), ByteLevelBpeTrainer.Train(corpus, VocabSize, [Bos, TurnStart, EndOfTurn]));
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), new JsonObject
        {
            ["bos_token"] = Bos,
            ["eos_token"] = EndOfTurn,
            ["pad_token"] = Bos,
            ["add_bos_token"] = true,
        }.ToJsonString());
        return TokenizerLoader.Load(directory);
    }
}
