using FedLlm.Data.Demo;
using FedLlm.Data.Model;
using FedLlm.Data.Templates;
using FedLlm.Federation.Runs;
using FedLlm.Models;
using FedLlm.Models.Llama;
using FedLlm.Models.Presets;
using FedLlm.Tokenization;
using FedLlm.Training.Examples;
using FedLlm.Training.Optimization;
using FedLlm.Training.Sft;
using static TorchSharp.torch;

namespace FedLlm.Federation.Demo;

/// <summary>
/// The demo's base model: a small Llama trained from scratch (all parameters) on warm-up tasks that teach the chat
/// format and vocabulary, never the demo tasks themselves. Built once, then reused from the cache folder.
/// </summary>
public static class DemoBaseModel
{
    public const string Version = "demo-base-v3";
    private const string CompleteMarker = "COMPLETE";

    /// <summary>What the base is trained on: copy, first word and repeat over the demo's whole vocabulary.</summary>
    public static IReadOnlyList<InstructionExample> WarmUpExamples() => DemoPretraining.Generate(3000, seed: 11);

    /// <summary>The text the demo tokenizer is trained on: warm-up and demo-task turns, and the template's role names.</summary>
    public static IEnumerable<string> TokenizerCorpus(IEnumerable<InstructionExample> warmUp) =>
        warmUp.Concat(DemoTasks.Generate(700, seed: 12))
            .SelectMany(e => e.Conversation.Turns.Select(t => t.Content))
            // Often enough that "user" becomes one token and " assistant" (not the template's "assistant") too: shorter sequences.
            .Concat(Enumerable.Repeat("user assistant", 500));

    public static string Ensure(string cacheDirectory, IRunObserver? observer)
    {
        var warmUp = WarmUpExamples();
        return Ensure(cacheDirectory, Version, warmUp, TokenizerCorpus(warmUp), steps: 2500, observer);
    }

    /// <summary>
    /// A small base model (<paramref name="preset"/>) trained from scratch on <paramref name="warmUp"/> for <paramref name="steps"/> steps, with a
    /// tokenizer trained on <paramref name="corpus"/>; built once into <paramref name="cacheDirectory"/>/<paramref name="version"/>
    /// and reused while that folder is complete. Other built-in experiments (safety) build their own base this way.
    /// </summary>
    public static string Ensure(string cacheDirectory, string version, IReadOnlyList<InstructionExample> warmUp, IEnumerable<string> corpus, int steps,
        IRunObserver? observer, string preset = "small")
    {
        string directory = Path.Combine(cacheDirectory, version);
        if (File.Exists(Path.Combine(directory, CompleteMarker))) return directory;

        observer?.Message($"Building a tiny base model (once) in {directory} ...");
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        Directory.CreateDirectory(directory);

        var tokenizer = DemoTokenizer.Create(directory, corpus);
        var config = ModelPreset.Get(preset).ToConfig(tokenizer.VocabSize, tokenizer.BosId, tokenizer.EosId, tokenizer.PadId);
        using (var model = new CausalLm(config, ScalarType.Float32))
        {
            manual_seed(11);
            model.InitialiseRandom(new Generator(11));
            config.Save(Path.Combine(directory, "config.json"));
            var template = TemplateRegistry.Get("chatml", endOfTurn: DemoTokenizer.EndOfTurn);
            var exampleTokenizer = new ExampleTokenizer(tokenizer, template, 96, tokenizer.BosId);
            var examples = warmUp.Select(e => exampleTokenizer.Tokenize(e.Conversation)).OfType<TokenizedExample>().ToList();
            var options = new TrainerOptions
            {
                LearningRate = 5e-3, BatchSize = 16, MaxSteps = steps, Schedule = ScheduleKind.Cosine, WarmupSteps = 50,
                MinLearningRate = 2e-4, WeightDecay = 0.01, Seed = 11, MaxSequenceLength = 96,
            };
            using var trainer = new SftTrainer(model, model.parameters().ToList(), options, tokenizer.PadId ?? 0);
            trainer.Train(examples, step =>
            {
                if ((step.Step + 1) % 250 == 0) observer?.Message($"  warm-up step {step.Step + 1}/{options.MaxSteps}: loss {step.Loss:F3}");
            });
            foreach (var p in model.parameters()) p.requires_grad = false;
            ModelWeights.Save(model, directory);
        }
        File.WriteAllText(Path.Combine(directory, CompleteMarker), version);
        return directory;
    }
}
