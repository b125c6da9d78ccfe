using System.CommandLine;
using FedLlm.Models;
using FedLlm.Models.Generation;

namespace FedLlm.Cli.Commands;

/// <summary><c>fedllm generate --model DIR --prompt TEXT</c>: KV-cache decoding streamed to stdout.</summary>
public static class GenerateCommand
{
    public static Command Build()
    {
        var command = new Command("generate", "Continue a prompt with a model (streams the text to stdout)");
        var model = ModelOptions.Model();
        var adapter = new Option<DirectoryInfo?>("--adapter") { Description = "PEFT LoRA adapter folder to apply" };
        var prompt = new Option<string>("--prompt", "-p") { Description = "Prompt text", Required = true };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature; 0 = greedy", DefaultValueFactory = _ => 0 };
        var topP = new Option<double>("--top-p") { Description = "Nucleus sampling mass", DefaultValueFactory = _ => 1.0 };
        var maxNew = new Option<int>("--max-new-tokens", "-n") { Description = "Maximum tokens to generate", DefaultValueFactory = _ => 128 };
        var seed = new Option<ulong>("--seed") { Description = "Sampling seed", DefaultValueFactory = _ => 0 };
        var stop = new Option<string[]>("--stop") { Description = "Stop when this text appears (repeatable)", AllowMultipleArgumentsPerToken = false };
        var dtype = ModelOptions.DType();
        foreach (var option in new Option[] { model, adapter, prompt, temperature, topP, maxNew, seed, stop, dtype }) command.Add(option);

        command.SetAction(parse =>
        {
            using var loaded = PretrainedModel.Load(parse.GetRequiredValue(model).FullName, ModelOptions.ParseDType(parse.GetValue(dtype)));
            if (parse.GetValue(adapter) is { } adapterDir) ModelOptions.ApplyAdapter(loaded, adapterDir.FullName);
            string text = parse.GetRequiredValue(prompt);
            var ids = new List<int>();
            if (loaded.PrependedBosId is int bos) ids.Add(bos);
            ids.AddRange(loaded.Tokenizer.Encode(text).Select(t => t.Id));

            var options = new GenerationOptions
            {
                MaxNewTokens = parse.GetValue(maxNew),
                Temperature = parse.GetValue(temperature),
                TopP = parse.GetValue(topP),
                Seed = parse.GetValue(seed),
                StopStrings = parse.GetValue(stop) ?? [],
            };
            var stdout = Console.Out;
            stdout.Write(text);
            TextGenerator.Generate(loaded, ids, options, chunk => { stdout.Write(chunk); stdout.Flush(); });
            stdout.WriteLine();
            return 0;
        });
        return command;
    }
}
