using System.CommandLine;
using FedLlm.Cli.Output;
using FedLlm.Data.Demo;
using FedLlm.Federation.Demo;
using FedLlm.Models.Presets;

namespace FedLlm.Cli.Commands;

/// <summary><c>fedllm init OUT --preset tiny</c>: a randomly initialised model in Hugging Face format.</summary>
public static class InitCommand
{
    public static Command Build()
    {
        var command = new Command("init", "Create a randomly initialised Llama model folder (config, safetensors, byte-level BPE tokenizer)");
        var output = new Argument<DirectoryInfo>("out-dir") { Description = "Folder to create" };
        var preset = new Option<string>("--preset") { Description = "Model shape", DefaultValueFactory = _ => "tiny" }
            .AcceptOnlyFromAmong([.. ModelPreset.All.Select(p => p.Name)]);
        var seed = new Option<ulong>("--seed") { Description = "Seed for the weights (the tokenizer is trained deterministically)", DefaultValueFactory = _ => 0 };
        command.Add(output);
        command.Add(preset);
        command.Add(seed);
        command.SetAction(parse =>
        {
            var directory = parse.GetRequiredValue(output);
            if (directory.Exists && directory.EnumerateFileSystemInfos().Any())
                throw new IOException($"{directory.FullName}: folder exists and is not empty");
            directory.Create();
            // A built-in corpus keeps init offline: the demo tasks' text trains the tokenizer.
            var corpus = DemoTasks.Generate(2000, 1).Concat(DemoPretraining.Generate(2000, 2))
                .SelectMany(e => e.Conversation.Turns.Select(t => t.Content));
            var tokenizer = DemoTokenizer.Create(directory.FullName, corpus);
            var config = RandomModel.Create(directory.FullName, ModelPreset.Get(parse.GetRequiredValue(preset)), tokenizer, parse.GetValue(seed));
            ConsoleOutput.Info($"Wrote a random {config.NumHiddenLayers}-layer, {config.HiddenSize}-wide Llama ({tokenizer.VocabSize} tokens) to {directory.FullName}");
            return 0;
        });
        return command;
    }
}
