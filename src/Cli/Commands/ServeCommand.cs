using System.CommandLine;
using FedLlm.Cli.Output;
using FedLlm.Serving;

namespace FedLlm.Cli.Commands;

/// <summary><c>fedllm serve --model DIR [--adapter NAME=DIR ...]</c>: an OpenAI-compatible server for a base model and its adapters.</summary>
public static class ServeCommand
{
    public static Command Build()
    {
        var command = new Command("serve", "Serve a model and LoRA adapters over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/completions, /v1/models)");
        var model = ModelOptions.Model();
        var adapters = ModelOptions.Adapters("NAME=DIR: serve the PEFT adapter in DIR as model NAME over the base (repeatable; DIR alone: named by its folder)");
        var listen = new Option<string>("--listen") { Description = "Address to bind (loopback unless told otherwise)", DefaultValueFactory = _ => "http://127.0.0.1:8000" };
        var name = new Option<string?>("--served-model-name") { Description = "The base model's name in requests (default: the model folder's name)" };
        var template = new Option<string>("--template") { Description = "Chat template: auto (the model's own if recognised, else alpaca), alpaca, vicuna_v1.1, chatml, llama-3, plain", DefaultValueFactory = _ => "auto" };
        var maxBatch = new Option<int>("--max-batch") { Description = "Sequences decoded together", DefaultValueFactory = _ => 8 };
        var maxQueue = new Option<int>("--max-queue") { Description = "Requests that may wait for a decoding slot; beyond them the server answers 429", DefaultValueFactory = _ => 64 };
        var context = new Option<int?>("--context") { Description = "Positions per sequence, prompt included (default: the model's maximum)" };
        var apiKeyEnv = new Option<string?>("--api-key-env") { Description = "Environment variable holding the API key clients must send as a bearer token" };
        var dtype = ModelOptions.DType();
        foreach (var option in new Option[] { model, adapters, listen, name, template, maxBatch, maxQueue, context, apiKeyEnv, dtype }) command.Add(option);

        command.SetAction(async (parse, cancellation) =>
        {
            var options = new ServeOptions
            {
                ModelPath = parse.GetRequiredValue(model).FullName,
                Adapters = (parse.GetValue(adapters) ?? []).Select(ModelOptions.ParseAdapter).ToArray(),
                Listen = parse.GetValue(listen)!,
                ServedModelName = parse.GetValue(name),
                Template = parse.GetValue(template)!,
                Dtype = parse.GetValue(dtype)!,
                MaxBatch = Positive(parse.GetValue(maxBatch), "--max-batch"),
                MaxQueue = parse.GetValue(maxQueue) >= 0 ? parse.GetValue(maxQueue) : throw new ArgumentException("--max-queue must be >= 0"),
                Context = parse.GetValue(context) is int c ? Positive(c, "--context") : null,
                ApiKeyEnv = parse.GetValue(apiKeyEnv),
            };
            if (!OpenAiServer.IsLoopback(options.Listen) && options.ApiKeyEnv is null)
                ConsoleOutput.Info($"warning: {options.Listen} is reachable from other machines and no --api-key-env is set: anyone who can connect can use the model");
            using var served = ServedModels.Load(options);
            ConsoleOutput.Info($"serving {string.Join(", ", served.Names)} (template {served.Template}, batch {options.MaxBatch}, queue {options.MaxQueue}, context {served.Context})");
            await new OpenAiServer(served, options).RunAsync(address => ConsoleOutput.Info($"listening on {address}"), cancellation);
            return 0;
        });
        return command;
    }

    private static int Positive(int value, string flag) => value > 0 ? value : throw new ArgumentException($"{flag} must be positive, got {value}");
}
