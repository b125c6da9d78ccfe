using System.CommandLine;
using FedLlm.Models;
using FedLlm.Models.Lora;
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
    }.AcceptOnlyFromAmong([.. WeightDtypes.Names.Names]);

    public static ScalarType ParseDType(string? name) => WeightDtypes.Names.Parse(name ?? "float32", "--dtype");

    /// <summary><c>--adapter</c>: a PEFT adapter folder, named NAME=DIR or by its folder's name.</summary>
    public static Option<string[]> Adapters(string description) => new("--adapter")
    {
        Description = description,
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>An <c>--adapter</c> value: NAME=DIR, or DIR named by its folder; the folder must exist.</summary>
    public static (string Name, string Path) ParseAdapter(string value)
    {
        int equals = value.IndexOf('=');
        string directory = equals < 0 ? value : value[(equals + 1)..];
        string name = equals < 0 ? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(value))) : value[..equals];
        if (name.Length == 0 || directory.Length == 0) throw new ArgumentException($"--adapter expects NAME=DIR or DIR, got '{value}'");
        if (!Directory.Exists(directory)) throw new ArgumentException($"--adapter {name}: folder {directory} does not exist (give NAME=DIR or DIR)");
        return (name, Path.GetFullPath(directory));
    }

    /// <summary>Attaches a PEFT LoRA adapter folder to the loaded model (adapters stay fp32 over a bf16 base).</summary>
    public static LoraAdapterSet ApplyAdapter(PretrainedModel model, string adapterDirectory) =>
        LoraAdapterSet.Load(model.Model, adapterDirectory);
}
