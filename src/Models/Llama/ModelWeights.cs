using FedLlm.Models.SafeTensors;
using static TorchSharp.torch;

namespace FedLlm.Models.Llama;

/// <summary>Moves a <see cref="CausalLm"/>'s parameters between memory and Hugging Face safetensors files.</summary>
public static class ModelWeights
{
    /// <summary>
    /// Copies every parameter from the folder's <c>model.safetensors</c> (or sharded index), converting dtype as needed.
    /// Missing tensors and shape mismatches are errors naming the tensor and file; buffers Hugging Face does not need
    /// (e.g. <c>rotary_emb.inv_freq</c>) are ignored.
    /// </summary>
    public static void Load(CausalLm model, string modelDirectory)
    {
        using var weights = ShardedSafeTensors.Open(modelDirectory);
        using var noGrad = no_grad();
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (!weights.Contains(name))
                throw new ModelLoadException(WeightsFile(modelDirectory), $"tensor '{name}' is missing");
            using var scope = NewDisposeScope();
            var loaded = weights.ReadTensor(name);
            if (!loaded.shape.SequenceEqual(parameter.shape))
                throw new ModelLoadException(weights.FileOf(name).Path,
                    $"tensor '{name}' has shape [{string.Join(", ", loaded.shape)}], expected [{string.Join(", ", parameter.shape)}] from config.json");
            parameter.copy_(loaded);
        }
    }

    private static string WeightsFile(string modelDirectory)
    {
        string index = Path.Combine(modelDirectory, ShardedSafeTensors.IndexFileName);
        return File.Exists(index) ? index : Path.Combine(modelDirectory, ShardedSafeTensors.SingleFileName);
    }

    /// <summary>Writes every parameter to <c>model.safetensors</c> in the model's dtype.</summary>
    public static void Save(CausalLm model, string modelDirectory)
    {
        Directory.CreateDirectory(modelDirectory);
        var tensors = model.named_parameters().Select(p => new KeyValuePair<string, Tensor>(p.name, p.parameter)).ToList();
        SafeTensorsWriter.Write(Path.Combine(modelDirectory, "model.safetensors"), tensors,
            new Dictionary<string, string> { ["format"] = "pt" });
    }
}
