using FedLlm.Cli.Experiments;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Synthesis.Inputs;
using FedLlm.Synthesis.Output;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Synthesis;

/// <summary>
/// The real tiny stories260K (converted from ../shared) with a format tutor adapter trained on short public Alpaca
/// pairs rendered as the short U2S prompt (configs/prompts), so that a model of 260K parameters writes
/// <c>##instruction:</c>/<c>##output:</c> pairs the pipelines can parse. Built once for the tests that generate for real.
/// </summary>
public sealed class TutoredStories : IDisposable
{
    public TempDirectory Temp { get; } = new();
    public string Model { get; } = "";
    public string Tutor { get; } = "";
    public string Pool { get; } = "";

    public static string Prompt(string name) => Path.Combine(SharedData.RepositoryRoot, "configs", "prompts", name);

    /// <summary>The short U2S settings the tests (and the tutor's lessons) use: a 512-token context needs short prompts.</summary>
    public static U2sSection U2s => new()
    {
        K = 2, ChunkTokens = 200, Prompt = Prompt("u2s-tiny.txt"), ExamplePrompt = Prompt("example-tiny.txt"),
        Sampling = new() { Temperature = 0.7, MaxNewTokens = 64 },
    };

    public TutoredStories()
    {
        if (!SharedData.Available) return;
        Model = Temp.File("stories260K");
        var convert = CliProcess.Run("convert", "llama2c", SharedData.PathOf("models/stories260K/stories260K.bin"),
            SharedData.PathOf("models/stories260K/tok512.bin"), Model);
        if (convert.ExitCode != 0) throw new InvalidOperationException("fedllm convert failed: " + convert.Stderr);

        var pool = SynthesisInputs.LoadPairs(SharedData.PathOf("data/alpaca/alpaca_en_demo.json"), "pool")
            .Where(p => p.Instruction.Length + p.Response.Length <= 160).ToList();
        Pool = Temp.File("pool.jsonl");
        SyntheticDatasetWriter.Write(Pool, pool.Select(p => new SyntheticExample(p.Instruction, p.Response, Origin: null)));
        var experiment = new U2sExperimentConfig
        {
            Name = "fixture", OutputDirectory = Temp.Path,
            // The settings of configs/experiment-u2s-stories260k.yaml: fewer steps or a larger rate leave a tutee that
            // writes the layout for some seeds only.
            Tutor = new TutorSection { Steps = 60, LearningRate = 0.01, BatchSize = 8, MaxSequenceLength = 320, Rows = 300 },
            Run = new RunConfig
            {
                Seed = 1, Model = new ModelSection { Path = Model },
                Lora = new LoraSection { Rank = 8, Alpha = 16, Dropout = 0 },
                Training = new TrainingSection { BatchSize = 8 },
                Evaluation = new EvaluationSection { MaxAccuracyExamples = 0, MaxTestAccuracyExamples = 0 },
            },
        };
        Tutor = FormatTutor.TeachAsync(experiment, U2sExperiment.Lessons(U2s, pool), new RunObservers(), CancellationToken.None).GetAwaiter().GetResult()!;
    }

    public void Dispose() => Temp.Dispose();
}

[CollectionDefinition(Name)]
public sealed class TutoredStoriesCollection : ICollectionFixture<TutoredStories>
{
    public const string Name = "tutored stories260K";
}
