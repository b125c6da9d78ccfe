using System.Text.Json.Nodes;
using FedLlm.Models.Llama;
using FedLlm.Models.SafeTensors;
using FedLlm.Tokenization;
using static TorchSharp.torch;

namespace FedLlm.Models.Conversion;

/// <summary>
/// Converts a llama2.c "legacy" checkpoint and its tokenizer into a Hugging Face Llama folder.
/// Layout (llama2.c run.c): 7 int32 header fields, then fp32 arrays in a fixed order; a negative vocab size marks an
/// unshared classifier stored at the end.
/// </summary>
public static class Llama2cConverter
{
    public static void Convert(string checkpointPath, string tokenizerPath, string outputDirectory)
    {
        if (!File.Exists(checkpointPath)) throw new ModelLoadException(checkpointPath, "checkpoint file does not exist");
        if (!File.Exists(tokenizerPath)) throw new ModelLoadException(tokenizerPath, "tokenizer file does not exist");
        var tokenizerModel = Llama2cTokenizerReader.Read(tokenizerPath);

        using var stream = File.OpenRead(checkpointPath);
        using var reader = new BinaryReader(stream);
        var header = Llama2cHeader.Read(reader, checkpointPath);
        if (tokenizerModel.Pieces.Count != header.VocabSize)
            throw new ModelLoadException(tokenizerPath, $"tokenizer has {tokenizerModel.Pieces.Count} tokens but the checkpoint's vocabulary is {header.VocabSize}");

        long expectedBytes = header.ExpectedFileBytes();
        if (stream.Length < expectedBytes)
            throw new ModelLoadException(checkpointPath, $"file is truncated: {stream.Length} bytes, the header implies at least {expectedBytes}");

        Directory.CreateDirectory(outputDirectory);
        var config = header.ToModelConfig();
        using (var scope = NewDisposeScope())
        {
            var tensors = ReadTensors(reader, header, checkpointPath);
            SafeTensorsWriter.Write(Path.Combine(outputDirectory, "model.safetensors"), tensors,
                new Dictionary<string, string> { ["format"] = "pt", ["converted_from"] = "llama2.c" });
        }
        config.Save(Path.Combine(outputDirectory, "config.json"));
        // llama2.c ends a story at BOS (TinyStories were trained as <s>story<s>story...); EOS never comes.
        new GenerationConfig { BosTokenId = 1, EosTokenIds = [2, 1] }.Save(outputDirectory);
        SentencePieceModelFile.Write(Path.Combine(outputDirectory, "tokenizer.model"), tokenizerModel);
        File.WriteAllText(Path.Combine(outputDirectory, "tokenizer_config.json"), new JsonObject
        {
            ["tokenizer_class"] = "LlamaTokenizer",
            ["add_bos_token"] = true,
            ["add_eos_token"] = false,
            ["bos_token"] = "<s>",
            ["eos_token"] = "</s>",
            ["unk_token"] = "<unk>",
            ["model_max_length"] = header.SequenceLength,
        }.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }

    private static List<KeyValuePair<string, Tensor>> ReadTensors(BinaryReader reader, Llama2cHeader h, string path)
    {
        int headDim = h.Dim / h.Heads;
        int kvDim = h.KvHeads * headDim;
        Tensor Read(params long[] shape)
        {
            long count = shape.Aggregate(1L, (a, b) => a * b);
            var data = new float[count];
            var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan());
            if (reader.Read(bytes) != bytes.Length) throw new ModelLoadException(path, "unexpected end of file while reading weights");
            return tensor(data, shape);
        }

        var embedding = Read(h.VocabSize, h.Dim);
        var attentionNorm = Read(h.Layers, h.Dim);
        var wq = Read(h.Layers, h.Dim, h.Dim);
        var wk = Read(h.Layers, kvDim, h.Dim);
        var wv = Read(h.Layers, kvDim, h.Dim);
        var wo = Read(h.Layers, h.Dim, h.Dim);
        var ffnNorm = Read(h.Layers, h.Dim);
        var w1 = Read(h.Layers, h.HiddenDim, h.Dim);
        var w2 = Read(h.Layers, h.Dim, h.HiddenDim);
        var w3 = Read(h.Layers, h.HiddenDim, h.Dim);
        var finalNorm = Read(h.Dim);
        reader.BaseStream.Seek((long)h.SequenceLength * headDim * sizeof(float), SeekOrigin.Current); // freq_cis real+imag halves
        var classifier = h.SharedClassifier ? null : Read(h.VocabSize, h.Dim);

        var tensors = new List<KeyValuePair<string, Tensor>> { new("model.embed_tokens.weight", embedding) };
        for (int i = 0; i < h.Layers; i++)
        {
            string p = $"model.layers.{i}";
            tensors.Add(new($"{p}.input_layernorm.weight", attentionNorm[i]));
            tensors.Add(new($"{p}.self_attn.q_proj.weight", InterleavedToRotateHalf(wq[i], h.Heads)));
            tensors.Add(new($"{p}.self_attn.k_proj.weight", InterleavedToRotateHalf(wk[i], h.KvHeads)));
            tensors.Add(new($"{p}.self_attn.v_proj.weight", wv[i]));
            tensors.Add(new($"{p}.self_attn.o_proj.weight", wo[i]));
            tensors.Add(new($"{p}.post_attention_layernorm.weight", ffnNorm[i]));
            tensors.Add(new($"{p}.mlp.gate_proj.weight", w1[i]));
            tensors.Add(new($"{p}.mlp.down_proj.weight", w2[i]));
            tensors.Add(new($"{p}.mlp.up_proj.weight", w3[i]));
        }
        tensors.Add(new("model.norm.weight", finalNorm));
        if (classifier is not null) tensors.Add(new("lm_head.weight", classifier));
        return tensors;
    }

    /// <summary>
    /// llama2.c rotates adjacent pairs (2i, 2i+1) within a head; Hugging Face rotates (i, i + d/2). Reordering the
    /// output rows of W_q/W_k per head as [evens..., odds...] makes both compute the same attention scores.
    /// </summary>
    public static Tensor InterleavedToRotateHalf(Tensor weight, int heads)
    {
        long rows = weight.shape[0], columns = weight.shape[1];
        return weight.view(heads, rows / heads / 2, 2, columns).transpose(1, 2).reshape(rows, columns).contiguous();
    }
}
