using FedLlm.Models.Llama;
using System.Text.Json.Nodes;

namespace FedLlm.Models.Conversion;

/// <summary>The seven int32 fields that open a llama2.c legacy checkpoint.</summary>
internal sealed record Llama2cHeader(int Dim, int HiddenDim, int Layers, int Heads, int KvHeads, int VocabSize, int SequenceLength, bool SharedClassifier)
{
    public const int Bytes = 7 * sizeof(int);

    public static Llama2cHeader Read(BinaryReader reader, string path)
    {
        if (reader.BaseStream.Length < Bytes) throw new ModelLoadException(path, "file is too short for a llama2.c header");
        int dim = reader.ReadInt32(), hidden = reader.ReadInt32(), layers = reader.ReadInt32(), heads = reader.ReadInt32(),
            kvHeads = reader.ReadInt32(), vocab = reader.ReadInt32(), sequence = reader.ReadInt32();
        var header = new Llama2cHeader(dim, hidden, layers, heads, kvHeads, Math.Abs(vocab), sequence, vocab > 0);
        if (dim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocab == 0 || sequence <= 0
            || dim % heads != 0 || heads % kvHeads != 0 || (dim / heads) % 2 != 0 || dim > 1 << 16 || layers > 1024)
            throw new ModelLoadException(path, $"implausible llama2.c header {header} (is this a llama2.c legacy checkpoint?)");
        return header;
    }

    public long ExpectedFileBytes()
    {
        long headDim = Dim / Heads, kvDim = KvHeads * headDim;
        long floats = (long)VocabSize * Dim
                      + Layers * (2L * Dim + 2L * Dim * Dim + 2L * kvDim * Dim + 3L * HiddenDim * Dim)
                      + Dim + SequenceLength * headDim
                      + (SharedClassifier ? 0 : (long)VocabSize * Dim);
        return Bytes + floats * sizeof(float);
    }

    public ModelConfig ToModelConfig() => ModelConfig.FromJson(new JsonObject
    {
        ["architectures"] = new JsonArray("LlamaForCausalLM"),
        ["model_type"] = "llama",
        ["vocab_size"] = VocabSize,
        ["hidden_size"] = Dim,
        ["intermediate_size"] = HiddenDim,
        ["num_hidden_layers"] = Layers,
        ["num_attention_heads"] = Heads,
        ["num_key_value_heads"] = KvHeads,
        ["max_position_embeddings"] = SequenceLength,
        ["rms_norm_eps"] = 1e-5,
        ["rope_theta"] = 10000.0,
        ["tie_word_embeddings"] = SharedClassifier,
        ["bos_token_id"] = 1,
        ["eos_token_id"] = 2,
        ["torch_dtype"] = "float32",
    });
}
