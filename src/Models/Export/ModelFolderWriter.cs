using FedLlm.Models.SafeTensors;
using FedLlm.Tokenization;
using static TorchSharp.torch;

namespace FedLlm.Models.Export;

/// <summary>
/// Writes a loaded model back as a Hugging Face folder (config.json, model.safetensors, tokenizer files and
/// generation_config.json copied from the source folder) — the output of a merged adapter export or of full fine-tuning.
/// </summary>
public static class ModelFolderWriter
{
    /// <summary>Files besides config and weights that a model folder may carry and a loader of the copy needs.</summary>
    public static readonly IReadOnlyList<string> CompanionFiles =
    [
        "generation_config.json", TokenizerLoader.TokenizerJson, TokenizerLoader.SentencePieceModelFileName, TokenizerLoader.Llama2cTokenizerFileName,
        "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "vocab.json", "merges.txt", "chat_template.jinja",
    ];

    /// <summary>
    /// Writes <paramref name="model"/>'s base parameters (never adapter tensors) in <paramref name="dtype"/> to
    /// <paramref name="directory"/>, with config.json's torch_dtype set to match.
    /// </summary>
    public static void Write(PretrainedModel model, string directory, ScalarType dtype)
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new ArgumentException($"export dtype must be float32 or bfloat16, not {dtype}", nameof(dtype));
        if (Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar) == Path.GetFullPath(model.Directory).TrimEnd(Path.DirectorySeparatorChar))
            throw new IOException($"{directory}: refusing to overwrite the source model folder");
        Directory.CreateDirectory(directory);

        using (var scope = NewDisposeScope())
        {
            var tensors = model.Model.named_parameters()
                .Where(p => !IsAdapterParameter(p.name))
                .Select(p => new KeyValuePair<string, Tensor>(p.name, p.parameter.detach().to(dtype)))
                .ToList();
            SafeTensorsWriter.Write(Path.Combine(directory, ShardedSafeTensors.SingleFileName), tensors,
                new Dictionary<string, string> { ["format"] = "pt" });
        }

        var config = model.Config with { TorchDtype = dtype == ScalarType.BFloat16 ? "bfloat16" : "float32" };
        config.Save(Path.Combine(directory, "config.json"));
        foreach (string file in CompanionFiles)
        {
            string source = Path.Combine(model.Directory, file);
            if (File.Exists(source)) File.Copy(source, Path.Combine(directory, file), overwrite: true);
        }
        // A stale sharded index from an earlier export would shadow the single file written above.
        string index = Path.Combine(directory, ShardedSafeTensors.IndexFileName);
        if (File.Exists(index)) File.Delete(index);
    }

    /// <summary>LoRA tensors registered under a projection (<c>...q_proj.lora_A.weight</c>) are not part of the base model.</summary>
    public static bool IsAdapterParameter(string name) =>
        name.Contains(".lora_A.", StringComparison.Ordinal) || name.Contains(".lora_B.", StringComparison.Ordinal);
}
