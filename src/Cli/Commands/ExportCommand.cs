using System.CommandLine;
using FedLlm.Cli.Output;
using FedLlm.Models;
using FedLlm.Models.Export;
using static TorchSharp.torch;

namespace FedLlm.Cli.Commands;

/// <summary><c>fedllm export --model DIR --adapter DIR --out DIR</c>: merges a LoRA adapter into a standalone model folder.</summary>
public static class ExportCommand
{
    public static Command Build()
    {
        var command = new Command("export", "Merge a LoRA adapter into its base model and write a full Hugging Face model folder");
        var model = ModelOptions.Model();
        var adapter = new Option<DirectoryInfo>("--adapter", "-a") { Description = "PEFT LoRA adapter folder (adapter_config.json, adapter_model.safetensors)", Required = true };
        var output = new Option<DirectoryInfo>("--out", "-o") { Description = "Folder to write (must not exist or be empty)", Required = true };
        var dtype = new Option<string?>("--dtype") { Description = "dtype of the written weights: float32 or bfloat16 (default: the base model's)" }
            .AcceptOnlyFromAmong("float32", "bfloat16");
        foreach (var option in new Option[] { model, adapter, output, dtype }) command.Add(option);

        command.SetAction(parse =>
        {
            var target = parse.GetRequiredValue(output);
            if (target.Exists && target.EnumerateFileSystemInfos().Any())
                throw new IOException($"{target.FullName}: folder exists and is not empty");
            // Merge in fp32 whatever the output dtype, so the adapter's small update is not rounded away before it is added.
            using var loaded = PretrainedModel.Load(parse.GetRequiredValue(model).FullName, ScalarType.Float32);
            var adapters = ModelOptions.ApplyAdapter(loaded, parse.GetRequiredValue(adapter).FullName);
            adapters.MergeIntoBase();
            var outputType = ModelOptions.ParseDType(parse.GetValue(dtype) ?? (loaded.Config.TorchDtype == "bfloat16" ? "bfloat16" : "float32"));
            ModelFolderWriter.Write(loaded, target.FullName, outputType);
            ConsoleOutput.Info($"Merged {adapters.Layers.Count} adapted projections (r={adapters.Config.Rank}) into {target.FullName} ({(outputType == ScalarType.BFloat16 ? "bfloat16" : "float32")})");
            return 0;
        });
        return command;
    }
}
