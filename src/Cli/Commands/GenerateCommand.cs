using System.CommandLine;
using FedLlm.Models;
using FedLlm.Models.Generation;

namespace FedLlm.Cli.Commands;

/// <summary>
/// <c>fedllm generate --model DIR --prompt TEXT [--prompt TEXT ...]</c>: one prompt streams to stdout; several are
/// decoded together in batches (the serving path) and printed in order.
/// </summary>
public static class GenerateCommand
{
    public static Command Build()
    {
        var command = new Command("generate", "Continue prompts with a model (one prompt streams to stdout; several are decoded together)");
        var model = ModelOptions.Model();
        var adapter = new Option<DirectoryInfo?>("--adapter") { Description = "PEFT LoRA adapter folder to apply" };
        var prompt = new Option<string[]>("--prompt", "-p") { Description = "Prompt text (repeatable)", Required = true, AllowMultipleArgumentsPerToken = false };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature; 0 = greedy", DefaultValueFactory = _ => 0 };
        var topP = new Option<double>("--top-p") { Description = "Nucleus sampling mass", DefaultValueFactory = _ => 1.0 };
        var maxNew = new Option<int>("--max-new-tokens", "-n") { Description = "Maximum tokens to generate", DefaultValueFactory = _ => 128 };
        var seed = new Option<ulong>("--seed") { Description = "Sampling seed", DefaultValueFactory = _ => 0 };
        var stop = new Option<string[]>("--stop") { Description = "Stop when this text appears (repeatable)", AllowMultipleArgumentsPerToken = false };
        var maxBatch = new Option<int>("--max-batch") { Description = "Prompts decoded together", DefaultValueFactory = _ => 8 };
        var dtype = ModelOptions.DType();
        foreach (var option in new Option[] { model, adapter, prompt, temperature, topP, maxNew, seed, stop, maxBatch, dtype }) command.Add(option);

        command.SetAction(parse =>
        {
            if (parse.GetValue(maxBatch) < 1) throw new ArgumentException($"--max-batch must be positive, got {parse.GetValue(maxBatch)}");
            using var loaded = PretrainedModel.Load(parse.GetRequiredValue(model).FullName, ModelOptions.ParseDType(parse.GetValue(dtype)));
            if (parse.GetValue(adapter) is { } adapterDir) ModelOptions.ApplyAdapter(loaded, adapterDir.FullName);
            var options = new GenerationOptions
            {
                MaxNewTokens = parse.GetValue(maxNew),
                Temperature = parse.GetValue(temperature),
                TopP = parse.GetValue(topP),
                Seed = parse.GetValue(seed),
                StopStrings = parse.GetValue(stop) ?? [],
            };
            string[] texts = parse.GetRequiredValue(prompt);
            var jobs = texts.Select(text => new GenerationJob { PromptIds = loaded.EncodePrompt(text), Options = options }).ToArray();
            var stdout = Console.Out;
            if (jobs.Length == 1)
            {
                stdout.Write(texts[0]);
                jobs[0] = jobs[0] with { OnText = chunk => { stdout.Write(chunk); stdout.Flush(); } };
            }
            using var generator = new BatchGenerator(loaded, Math.Min(parse.GetValue(maxBatch), jobs.Length));
            var results = generator.GenerateAll(jobs);
            if (jobs.Length == 1) stdout.WriteLine();
            else for (int i = 0; i < texts.Length; i++) stdout.WriteLine(texts[i] + results[i].Text + (i < texts.Length - 1 ? "\n" : ""));
            return 0;
        });
        return command;
    }
}
