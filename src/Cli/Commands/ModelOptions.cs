using System.CommandLine;
using FedLlm.Models;
using static TorchSharp.torch;

namespace FedLlm.Cli.Commands;

/// <summary>Options shared by every command that loads a model.</summary>
internal static class ModelOptions
{
    public static Option<DirectoryInfo> Model() => new("--model", "-m")
    {
        Description = "Hugging Face model folder (config.json, model.safetensors, tokenizer)",
        Required = true,
    };

    public static Option<string> DType() => new Option<string>("--dtype")
    {
        Description = "Base weight dtype in memory: float32 or bfloat16",
        DefaultValueFactory = _ => "float32",
    }.AcceptOnlyFromAmong("float32", "bfloat16");

    public static ScalarType ParseDType(string? name) => name switch
    {
        null or "float32" => ScalarType.Float32,
        "bfloat16" => ScalarType.BFloat16,
        _ => throw new ArgumentException($"unsupported dtype '{name}' (valid: float32, bfloat16)"),
    };

    public static void ApplyAdapter(PretrainedModel model, string adapterDirectory) =>
        throw new NotSupportedException($"cannot apply {adapterDirectory}: LoRA adapters arrive with the training module");
}
