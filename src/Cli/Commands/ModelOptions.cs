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

    /// <summary>Attaches a PEFT LoRA adapter folder to the loaded model (adapters stay fp32 over a bf16 base).</summary>
    public static LoraAdapterSet ApplyAdapter(PretrainedModel model, string adapterDirectory) =>
        LoraAdapterSet.Load(model.Model, adapterDirectory);
}
