using FedLlm.Models;
using FedLlm.Models.Generation;
using FedLlm.Models.Lora;
using static TorchSharp.torch;

namespace FedLlm.Tests.Generation;

public class BatchGenerationTests(TinyServedModel fixture) : IClassFixture<TinyServedModel>
{
    // Different lengths, so batches mix positions and prefill pads.
    private static readonly string[] Prompts =
    [
        "What is", "Name the capital of France, please", "sort 3 1 2", "a", "Translate to French: the cat sleeps on the mat", "12 + 30 =",
    ];

    private static GenerationJob Greedy(PretrainedModel model, string prompt, int tokens = 12, int adapter = 0) => new()
    {
        PromptIds = model.EncodePrompt(prompt),
        Options = new GenerationOptions { MaxNewTokens = tokens, StopAtEos = false },
        Adapter = adapter,
    };

    /// <summary>Greedy decoding the slow, obviously right way: the whole sequence through the model for every token, no cache.</summary>
    private static List<int> ReferenceGreedy(PretrainedModel model, IReadOnlyList<int> prompt, int tokens)
    {
        using var noGrad = no_grad();
        var ids = prompt.ToList();
        for (int i = 0; i < tokens; i++)
        {
            using var scope = NewDisposeScope();
            var logits = model.Model.Forward(tensor(ids.Select(x => (long)x).ToArray()).unsqueeze(0));
            ids.Add((int)logits[0, -1].argmax().item<long>());
        }
        return ids.Skip(prompt.Count).ToList();
    }

    [Fact]
    public void BatchedGreedyDecodingEqualsFullRecomputationTokenForToken()
    {
        using var model = fixture.Load();
        var jobs = Prompts.Select(p => Greedy(model, p)).ToArray();
        // Four slots for six prompts: two join mid-way as others finish, at other positions than the running ones.
        using var generator = new BatchGenerator(model, maxBatch: 4);
        var batched = generator.GenerateAll(jobs);
        for (int i = 0; i < jobs.Length; i++)
            Assert.Equal(ReferenceGreedy(model, jobs[i].PromptIds, 12), batched[i].TokenIds);
    }

    [Fact]
    public void ABatchOfMixedAdaptersDecodesAsEachAdapterAttachedAlone()
    {
        int[] adapters = [0, 1, 2, 1, 0, 2];
        IReadOnlyList<GenerationResult> batched, baseline;
        using (var model = fixture.Load())
        {
            using var bank = AdapterBank.Load(model.Model, [fixture.AdapterA, fixture.AdapterB]);
            using var generator = new BatchGenerator(model, maxBatch: 6, bank);
            batched = generator.GenerateAll(Prompts.Select((p, i) => Greedy(model, p, adapter: adapters[i])).ToArray());
            baseline = generator.GenerateAll(Prompts.Select(p => Greedy(model, p)).ToArray());
        }
        string?[] directories = [null, fixture.AdapterA, fixture.AdapterB];
        for (int i = 0; i < Prompts.Length; i++)
        {
            using var model = fixture.Load();
            if (directories[adapters[i]] is { } directory) LoraAdapterSet.Load(model.Model, directory);
            var alone = TextGenerator.Generate(model, model.EncodePrompt(Prompts[i]), Greedy(model, Prompts[i]).Options);
            Assert.Equal(alone.TokenIds, batched[i].TokenIds);
        }
        Assert.True(Enumerable.Range(0, Prompts.Length).Any(i => adapters[i] != 0 && !baseline[i].TokenIds.SequenceEqual(batched[i].TokenIds)),
            "the adapters never changed the output, so this test could not tell them from the base");
    }

    [Fact]
    public void ASeededSampleDoesNotDependOnWhatItIsBatchedWith()
    {
        using var model = fixture.Load();
        var jobs = Prompts.Select((p, i) => new GenerationJob
        {
            PromptIds = model.EncodePrompt(p),
            Options = new GenerationOptions { MaxNewTokens = 10, Temperature = 0.9, TopP = 0.9, Seed = (ulong)(100 + i), StopAtEos = false },
        }).ToArray();
        using var together = new BatchGenerator(model, maxBatch: 6);
        var batched = together.GenerateAll(jobs);
        for (int i = 0; i < jobs.Length; i++)
            Assert.Equal(TextGenerator.Generate(model, jobs[i].PromptIds, jobs[i].Options).TokenIds, batched[i].TokenIds);
    }

    [Fact]
    public void StreamedChunksAddUpToTheTextAndStopStringsAreCutOff()
    {
        using var model = fixture.Load();
        var ids = model.EncodePrompt(Prompts[1]);
        var free = TextGenerator.Generate(model, ids, new GenerationOptions { MaxNewTokens = 24, StopAtEos = false });
        Assert.True(free.Text.Length > 6, free.Text);
        string stop = free.Text.Substring(free.Text.Length / 2, 3);
        var streamed = new System.Text.StringBuilder();
        var stopped = TextGenerator.Generate(model, ids, new GenerationOptions { MaxNewTokens = 24, StopAtEos = false, StopStrings = [stop] },
            chunk => streamed.Append(chunk));
        Assert.Equal(StopReason.StopString, stopped.StopReason);
        Assert.Equal(free.Text[..free.Text.IndexOf(stop, StringComparison.Ordinal)], stopped.Text);
        Assert.Equal(stopped.Text, streamed.ToString());
    }

    [Fact]
    public void ACancelledJobEndsAndLeavesTheOthersRunning()
    {
        using var model = fixture.Load();
        using var cancel = new CancellationTokenSource();
        var cancelled = Greedy(model, Prompts[0], tokens: 40) with { Cancellation = cancel.Token };
        var other = Greedy(model, Prompts[1], tokens: 8);
        using var generator = new BatchGenerator(model, maxBatch: 2);
        generator.Start([cancelled, other]);
        cancel.Cancel();
        var finished = generator.Step();
        Assert.Equal(StopReason.Cancelled, Assert.Single(finished).Result.StopReason);
        Assert.Equal(1, generator.RunningCount);
        while (generator.RunningCount > 0) generator.Step();
    }

    [Fact]
    public void APromptThatFillsTheContextIsRejectedWithTheReason()
    {
        using var model = fixture.Load();
        using var generator = new BatchGenerator(model, maxBatch: 1);
        var error = Assert.Throws<ArgumentException>(() => generator.Start([new GenerationJob { PromptIds = Enumerable.Repeat(5, model.Config.MaxPositionEmbeddings).ToArray() }]));
        Assert.Contains("context", error.Message);
    }
}
