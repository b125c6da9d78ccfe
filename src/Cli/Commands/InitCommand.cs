using System.CommandLine;

namespace FedLlm.Cli.Commands;

/// <summary><c>fedllm init OUT --preset tiny</c>: a randomly initialised model in Hugging Face format.</summary>
public static class InitCommand
{
    public static Command Build()
    {
        var command = new Command("init", "Create a randomly initialised Llama model folder (config, safetensors, tokenizer)");
        return command;
    }
}
