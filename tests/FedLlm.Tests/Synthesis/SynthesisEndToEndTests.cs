using System.Text.Json.Nodes;
using FedLlm.Data.Loading;
using FedLlm.Data.Model;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Generation;
using FedLlm.Generation.Caching;
using FedLlm.Synthesis.FedGc;
using FedLlm.Synthesis.Output;
using FedLlm.Synthesis.U2s;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Synthesis;

/// <summary>The pipelines with a real (tiny, tutored) generator: through the CLI, over HTTP from <c>fedllm serve</c>, and inside a run.</summary>
[Collection(TutoredStoriesCollection.Name)]
public class SynthesisEndToEndTests(TutoredStories generator)
{
    private static readonly string[] Documents =
    [
        "Fever is a raised body temperature, usually caused by an infection.",
        "Regular exercise lowers blood pressure and improves sleep.",
        "Vaccines train the immune system to recognise a virus.",
        "Drinking water helps the kidneys remove waste from the blood.",
    ];

    private static string Corpus(TempDirectory temp)
    {
        string path = temp.File("corpus.txt");
        File.WriteAllLines(path, Documents);
        return path;
    }

    private string[] U2sArguments(string corpus, string output, params string[] generatorFlags) =>
    [
        "synthesize", "u2s", "--corpus", corpus, "--pool", generator.Pool, "--out", output, "--seed", "5",
        "--k", "2", "--chunk-tokens", "200", "--prompt", TutoredStories.Prompt("u2s-tiny.txt"), "--example-prompt", TutoredStories.Prompt("example-tiny.txt"),
        "--sampling.temperature", "0.7", "--sampling.max-new-tokens", "64", .. generatorFlags,
    ];

    private static List<JsonObject> Rows(string path) => [.. File.ReadAllLines(path).Select(l => JsonNode.Parse(l)!.AsObject())];

    [SharedDataFact]
    public void U2sInProcessIsDeterministicForASeedAndARerunIsAnsweredFromTheCache()
    {
        using var temp = new TempDirectory();
        string corpus = Corpus(temp), cache = temp.File("cache");
        string[] model = ["--generator.model-path", generator.Model, "--generator.adapter-path", generator.Tutor];

        var first = CliProcess.Run(U2sArguments(corpus, temp.File("first.jsonl"), [.. model, "--generator.cache-dir", cache]));
        Assert.True(first.ExitCode == 0, first.Stderr);
        int cached = new DiskResponseCache(cache).Count;
        Assert.Equal(Documents.Length, cached);
        var rerun = CliProcess.Run(U2sArguments(corpus, temp.File("rerun.jsonl"), [.. model, "--generator.cache-dir", cache]));
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        var uncached = CliProcess.Run(U2sArguments(corpus, temp.File("uncached.jsonl"), model));
        Assert.True(uncached.ExitCode == 0, uncached.Stderr);

        Assert.Equal(cached, new DiskResponseCache(cache).Count);
        Assert.Equal(File.ReadAllText(temp.File("first.jsonl")), File.ReadAllText(temp.File("rerun.jsonl")));
        Assert.Equal(File.ReadAllText(temp.File("first.jsonl")), File.ReadAllText(temp.File("uncached.jsonl")));
        var rows = Rows(temp.File("first.jsonl"));
        Assert.NotEmpty(rows);
        Assert.All(rows, r =>
        {
            Assert.Equal("u2s", r["origin"]!.GetValue<string>());
            Assert.Matches(@"corpus\.txt:[1-4]#0$", r["source"]!.GetValue<string>());
            Assert.False(string.IsNullOrWhiteSpace(r["instruction"]!.GetValue<string>()));
        });
        var summary = JsonNode.Parse(File.ReadAllText(temp.File("first.summary.json")))!;
        Assert.Equal(Documents.Length, summary["prompts"]!.GetValue<int>());
        Assert.Equal(rows.Count, summary["kept"]!.GetValue<int>());
    }

    /// <summary>
    /// Over HTTP, <c>generator.tokenizer_path</c> (the served model's folder) bounds the chunks in the model's own tokens,
    /// as in process: a document longer than a chunk is cut at the same places, so both write the same pairs (words
    /// would cut elsewhere and, on a small context, overflow it).
    /// </summary>
    [SharedDataFact]
    public void U2sOverHttpFromFedllmServeWritesWhatTheInProcessGeneratorWrites()
    {
        using var temp = new TempDirectory();
        string corpus = temp.File("corpus.txt");
        File.WriteAllLines(corpus, [.. Documents, string.Join(" ", Documents.Select(d => "Doctors agree on this point. " + d))]);
        int port = BackgroundCli.FreePort();
        using var server = BackgroundCli.Start("fedllm serve", temp.Path, "serve", "--model", generator.Model, "--adapter", $"tutor={generator.Tutor}",
            "--listen", $"http://127.0.0.1:{port}", "--max-batch", "4");
        server.WaitFor("listening on", TimeSpan.FromMinutes(3));

        // Chunks of at most 40 tokens: the long last document is cut into several.
        string[] chunks = ["--chunk-tokens", "40"];
        var local = CliProcess.Run([.. U2sArguments(corpus, temp.File("local.jsonl"), "--generator.model-path", generator.Model, "--generator.adapter-path", generator.Tutor), .. chunks]);
        Assert.True(local.ExitCode == 0, local.Stderr);
        var remote = CliProcess.Run([.. U2sArguments(corpus, temp.File("remote.jsonl"), "--generator.endpoint", $"http://127.0.0.1:{port}/v1", "--generator.model", "tutor",
            "--generator.tokenizer-path", generator.Model), .. chunks]);
        Assert.True(remote.ExitCode == 0, remote.Stderr);
        Assert.NotEmpty(Rows(temp.File("remote.jsonl")));
        Assert.Equal(File.ReadAllText(temp.File("local.jsonl")), File.ReadAllText(temp.File("remote.jsonl")));
        Assert.Equal(File.ReadAllText(temp.File("local.summary.json")), File.ReadAllText(temp.File("remote.summary.json")));
        Assert.True(JsonNode.Parse(File.ReadAllText(temp.File("remote.summary.json")))!["prompts"]!.GetValue<int>() > Documents.Length + 1, "the long document was not cut");
    }

    /// <summary>
    /// KnowledgeSG's server stage on the real stories260K (standing in for both the DP model and the professional):
    /// instructions from k public shots, filtered, answered. In process and through <c>fedllm serve</c> it writes the same
    /// dataset; with the server stopped, a re-run over HTTP is answered entirely from the response cache.
    /// </summary>
    [SharedDataFact]
    public void KnowledgeSgWritesTheSameDatasetInProcessAndOverHttpAndARerunNeedsNoServer()
    {
        using var temp = new TempDirectory();
        int port = BackgroundCli.FreePort();
        string endpoint = $"http://127.0.0.1:{port}/v1", cache = temp.File("cache");
        // The pool's short Alpaca instructions as the public seeds: two shots and the generation fit a 512-token context.
        string[] Arguments(string output, params string[] generators) =>
        [
            "synthesize", "knowledgesg", "--seeds", generator.Pool, "--out", output, "--seed", "5", "--prompts", "6", "--shots", "2",
            "--sampling.temperature", "0.7", "--sampling.max-new-tokens", "32", "--answer-sampling.max-new-tokens", "48", .. generators,
        ];
        string[] overHttp = ["--generator.endpoint", endpoint, "--generator.model", "stories", "--generator.cache-dir", cache,
            "--professional.endpoint", endpoint, "--professional.model", "stories", "--professional.cache-dir", cache];

        var local = CliProcess.Run(Arguments(temp.File("local.jsonl"), "--generator.model-path", generator.Model, "--professional.model-path", generator.Model));
        Assert.True(local.ExitCode == 0, local.Stderr);
        using (var server = BackgroundCli.Start("fedllm serve", temp.Path, "serve", "--model", generator.Model, "--served-model-name", "stories",
            "--listen", $"http://127.0.0.1:{port}", "--max-batch", "4"))
        {
            server.WaitFor("listening on", TimeSpan.FromMinutes(3));
            var remote = CliProcess.Run(Arguments(temp.File("remote.jsonl"), overHttp));
            Assert.True(remote.ExitCode == 0, remote.Stderr);
        }
        var rerun = CliProcess.Run(Arguments(temp.File("rerun.jsonl"), overHttp));
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);

        var rows = Rows(temp.File("local.jsonl"));
        Assert.NotEmpty(rows);
        Assert.All(rows, r =>
        {
            Assert.Equal("knowledgesg", r["origin"]!.GetValue<string>());
            Assert.False(string.IsNullOrWhiteSpace(r["instruction"]!.GetValue<string>()));
            Assert.False(string.IsNullOrWhiteSpace(r["response"]!.GetValue<string>()));
        });
        Assert.Equal(File.ReadAllText(temp.File("local.jsonl")), File.ReadAllText(temp.File("remote.jsonl")));
        Assert.Equal(File.ReadAllText(temp.File("remote.jsonl")), File.ReadAllText(temp.File("rerun.jsonl")));
        var summary = JsonNode.Parse(File.ReadAllText(temp.File("local.summary.json")))!;
        Assert.Equal(6, summary["prompts"]!.GetValue<int>());
        Assert.Equal(rows.Count, summary["kept"]!.GetValue<int>());
    }

    private RunConfig Run(TempDirectory temp, string data, string format, string split) => new()
    {
        Name = "run", OutputDirectory = temp.File("runs"), Seed = 3,
        Model = new ModelSection { Path = generator.Model },
        Data = new DataSection { Path = data, Format = format, HeldOutFraction = 0.2 },
        Split = new SplitSection { Method = split, Clients = 2, Alpha = 1.0, Field = "category" },
        Lora = new LoraSection { Rank = 4, Alpha = 8, Dropout = 0 },
        Training = new TrainingSection { MaxSteps = 1, BatchSize = 2, MaxSequenceLength = 128 },
        Evaluation = new EvaluationSection { MaxExamples = 4, MaxAccuracyExamples = 0, MaxTestAccuracyExamples = 0 },
        Rounds = 1,
    };

    private GeneratorSection Generator(TempDirectory temp) =>
        new() { ModelPath = generator.Model, AdapterPath = generator.Tutor, CacheDir = temp.File("cache") };

    private static async Task<(RunResult Result, List<string> Messages)> SimulateAsync(RunConfig config, StartMode mode = StartMode.New)
    {
        config.ThrowIfInvalid(RunPurpose.Simulate);
        var data = RunData.Prepare(config, RunRecords.Load(config));
        using var model = FedLlm.Models.PretrainedModel.Load(config.Model.Path!);
        var messages = new Messages();
        return (await Simulation.RunAsync(config, model, data, messages, mode), messages.Lines);
    }

    private sealed class Messages : IRunObserver
    {
        public List<string> Lines { get; } = [];
        public void Message(string text) => Lines.Add(text);
    }

    [SharedDataFact]
    public async Task InARunEveryClientWritesItsTrainingDataWithU2sBeforeRoundOneAndARerunReusesIt()
    {
        using var temp = new TempDirectory();
        string corpus = temp.File("corpus.txt");
        File.WriteAllLines(corpus, [.. Documents, .. Documents.Select(d => "In short: " + d)]);
        var config = Run(temp, corpus, "text", "iid") with
        {
            // Greedy: a 260K-parameter tutee keeps the layout it was taught more reliably than it samples it.
            U2s = TutoredStories.U2s with { Enabled = true, Pool = generator.Pool, Generator = Generator(temp), Sampling = new() { Temperature = 0, MaxNewTokens = 64 } },
        };
        var (result, messages) = await SimulateAsync(config);

        var synthetic = result.Run.File("synthetic");
        int generated = 0;
        for (int client = 0; client < 2; client++)
        {
            var rows = DatasetLoader.Load<InstructionExample>(Path.Combine(synthetic, $"client-{client}.jsonl")).Examples;
            Assert.All(rows, r => Assert.Equal(U2sSynthesizer.Origin, r.Metadata.Origin));
            var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(synthetic, $"client-{client}.json")))!;
            Assert.Equal(rows.Count, summary["generated_rows"]!.GetValue<int>());
            generated += rows.Count;
        }
        Assert.True(generated > 0);
        // The clients trained on what they wrote, not on their raw text.
        var members = JsonNode.Parse(File.ReadAllText(result.Run.MembersFile))!.AsArray();
        Assert.Equal(generated, members.Sum(m => m!["train_records"]!.GetValue<int>()));
        Assert.Equal(2, messages.Count(m => m.StartsWith("u2s: client", StringComparison.Ordinal)));

        // A re-run over the same folder (--overwrite) starts training afresh but keeps what the clients wrote.
        var (_, again) = await SimulateAsync(config, StartMode.Replace);
        Assert.Equal(2, again.Count(m => m.Contains("reuses its", StringComparison.Ordinal)));
    }

    [SharedDataFact]
    public async Task InARunFedGcRowsJoinTheClientsRealRowsTaggedByOriginAndCategory()
    {
        using var temp = new TempDirectory();
        string records = temp.File("records.jsonl");
        string[] labels = ["yes", "no"];
        SyntheticDatasetWriter.Write(records, Enumerable.Range(0, 24).Select(i =>
            new SyntheticExample($"Does treatment number {i} help patients with condition {i % 5}?", labels[i % 2], Origin: null) { Category = labels[i % 2] }));
        var config = Run(temp, records, "auto", "dirichlet") with
        {
            Fedgc = new FedgcSection
            {
                Enabled = true, Budget = 4, Categories = "yes,no", K = 2, Generator = Generator(temp),
                Templates = $"{TutoredStories.Prompt("fedgc-tiny.txt")},{TutoredStories.Prompt("fedgc-tiny-varied.txt")}",
                ExamplePrompt = TutoredStories.Prompt("example-tiny.txt"),
                Sampling = new() { Temperature = 0, MaxNewTokens = 48 },
            },
        };
        var (result, _) = await SimulateAsync(config);

        var members = JsonNode.Parse(File.ReadAllText(result.Run.MembersFile))!.AsArray();
        int generated = 0;
        for (int client = 0; client < 2; client++)
        {
            string file = Path.Combine(result.Run.File("synthetic"), $"client-{client}.jsonl");
            var rows = DatasetLoader.Load<InstructionExample>(file).Examples;
            Assert.All(rows, r =>
            {
                Assert.Equal(FedGcAugmenter.Origin, r.Metadata.Origin);
                Assert.Contains(r.Metadata.Category, labels);
            });
            var summary = JsonNode.Parse(File.ReadAllText(Path.ChangeExtension(file, ".json")))!;
            Assert.Equal(4, summary["tally"]!["prompts"]!.GetValue<int>());
            // Real rows stay; generated ones are added to them.
            Assert.Equal(summary["real_rows"]!.GetValue<int>() + rows.Count, members[client]!["train_records"]!.GetValue<int>());
            generated += rows.Count;
        }
        Assert.True(generated > 0, "the tutored generator wrote no parseable FedGC row");
    }
}
