using System.Text.Json.Nodes;
using FedLlm.Models.Llama;
using static TorchSharp.torch;

namespace FedLlm.Bench.Peer;

/// <summary>
/// A random Hugging Face Qwen2 model of Qwen2.5-0.5B's shape (24 layers, hidden 896, intermediate 4,864, 14 query and
/// 2 key/value heads, q/k/v biases, tied embeddings as in Qwen2.5-0.5B) with a 32,000-token vocabulary, written as
/// config.json + model.safetensors by FedLlm's own writer so FedLlm and the PyTorch peer load the same bytes.
/// </summary>
public static class PeerModel
{
    public const int FullLayers = 24;

    public static ModelConfig Qwen2Config(int layers = FullLayers, int hidden = 896, int intermediate = 4864, int heads = 14,
        int kvHeads = 2, int vocab = 32000) => ModelConfig.FromJson(new JsonObject
    {
        ["architectures"] = new JsonArray("Qwen2ForCausalLM"),
        ["model_type"] = "qwen2",
        ["vocab_size"] = vocab,
        ["hidden_size"] = hidden,
        ["intermediate_size"] = intermediate,
        ["num_hidden_layers"] = layers,
        ["num_attention_heads"] = heads,
        ["num_key_value_heads"] = kvHeads,
        ["max_position_embeddings"] = 32768,
        ["rms_norm_eps"] = 1e-6,
        ["rope_theta"] = 1000000.0,
        ["tie_word_embeddings"] = true,
        ["bos_token_id"] = 1,
        ["eos_token_id"] = 2,
        ["torch_dtype"] = "float32",
    });

    /// <summary>
    /// Writes <paramref name="config"/> with Hugging Face's random initialisation (seeded) to <paramref name="directory"/>;
    /// biases are drawn too (the initialiser zeros them), so a peer that ignored them would not match.
    /// </summary>
    /// <param name="std">The initialiser's spread; a parity check wants more than Hugging Face's 0.02, which leaves
    /// next-token distributions nearly uniform and so the loss nearly independent of the model.</param>
    public static void Write(string directory, ModelConfig config, ulong seed, double std = 0.02)
    {
        Directory.CreateDirectory(directory);
        using var model = new CausalLm(config, ScalarType.Float32);
        using var generator = new Generator(seed);
        model.InitialiseRandom(generator, std);
        using (var noGrad = no_grad())
            foreach (var (name, parameter) in model.named_parameters())
                if (name.EndsWith(".bias", StringComparison.Ordinal)) parameter.normal_(0, std, generator);
        config.Save(Path.Combine(directory, "config.json"));
        ModelWeights.Save(model, directory);
    }

    /// <summary>Loads the folder's weights into a fresh model of <paramref name="dtype"/> through FedLlm's loader.</summary>
    public static CausalLm Load(string directory, ScalarType dtype)
    {
        var model = new CausalLm(ModelConfig.Load(Path.Combine(directory, "config.json")), dtype);
        ModelWeights.Load(model, directory);
        return model;
    }
}
