using System.CommandLine;
using FedLlm.Cli.Output;
using FedLlm.Models.Conversion;

namespace FedLlm.Cli.Commands;

/// <summary><c>fedllm convert llama2c CHECKPOINT TOKENIZER OUT</c>.</summary>
public static class ConvertCommand
{
    public static Command Build()
    {
        var command = new Command("convert", "Convert a checkpoint from another format into a Hugging Face model folder");
        var llama2c = new Command("llama2c", "Convert a llama2.c legacy checkpoint (e.g. stories260K.bin) and its tokenizer.bin");
        var checkpoint = new Argument<FileInfo>("checkpoint") { Description = "llama2.c checkpoint (.bin)" };
        var tokenizer = new Argument<FileInfo>("tokenizer") { Description = "llama2.c tokenizer (.bin)" };
        var output = new Argument<DirectoryInfo>("out-dir") { Description = "Folder to write config.json, model.safetensors and tokenizer files into" };
        llama2c.Add(checkpoint);
        llama2c.Add(tokenizer);
        llama2c.Add(output);
        llama2c.SetAction(parse =>
        {
            var outDir = parse.GetRequiredValue(output);
            Llama2cConverter.Convert(parse.GetRequiredValue(checkpoint).FullName, parse.GetRequiredValue(tokenizer).FullName, outDir.FullName);
            ConsoleOutput.Info($"Wrote a Hugging Face Llama folder to {outDir.FullName}");
            return 0;
        });
        command.Add(llama2c);
        return command;
    }
}
