using FedLlm.Data.Model;
using FedLlm.Data.Templates;
using FedLlm.Models.Llama;
using FedLlm.Models.Lora;
using FedLlm.Tests.Models;
using FedLlm.Training.Dpo;
using FedLlm.Training.Examples;
using FedLlm.Training.Optimization;
using FedLlm.Training.Sft;
using static TorchSharp.torch;

namespace FedLlm.Tests.Training;

public class TrainerTests
{
    private static (CausalLm Model, LoraAdapterSet Adapters) TinyLoraModel()
    {
        var config = TestModels.Config() with { VocabSize = TestTokenizers.CharacterLevel().VocabSize, MaxPositionEmbeddings = 256 };
        var model = new CausalLm(config, ScalarType.Float32);
        model.InitialiseRandom(new Generator(21), std: 0.1);
        var adapters = LoraAdapterSet.Attach(model, new LoraConfig { Rank = 8, Alpha = 16, Dropout = 0, TargetModules = LoraConfig.AllLinearModules }, seed: 4);
        return (model, adapters);
    }

    private static List<TokenizedExample> UppercaseTask(int count)
    {
        var builder = new ExampleTokenizer(TestTokenizers.CharacterLevel(), TemplateRegistry.Get("chatml", endOfTurn: "</s>"), 128, 1);
        string[] words = ["cat", "dog", "sun", "tree", "fish", "bird", "moon", "rock"];
        return Enumerable.Range(0, count)
            .Select(i => builder.Tokenize(Conversation.SingleTurn("up: " + words[i % words.Length], words[i % words.Length].ToUpperInvariant()))!)
            .ToList();
    }

    [Fact]
    public void LoraSftReducesHeldOutLossByAClearMargin()
    {
        var (model, adapters) = TinyLoraModel();
        using var _ = model;
        var train = UppercaseTask(64);
        var heldOut = UppercaseTask(16);
        double before = CausalLmLoss.Evaluate(model, heldOut, 8, padId: 0);

        using var trainer = new SftTrainer(model, adapters.Parameters.Select(p => p.Parameter).ToList(),
            new TrainerOptions { LearningRate = 1e-2, BatchSize = 8, MaxSteps = 120, Seed = 1, Schedule = ScheduleKind.Cosine, WarmupSteps = 5 }, padId: 0);
        var result = trainer.Train(train);
        double after = CausalLmLoss.Evaluate(model, heldOut, 8, padId: 0);

        Assert.Equal(120, result.Steps);
        Assert.True(after < 0.5 * before, $"held-out loss {before:F3} -> {after:F3}");
        Assert.All(model.parameters().Where(p => !adapters.Parameters.Any(a => ReferenceEquals(a.Parameter, p))), p => Assert.False(p.requires_grad));
    }

    [Fact]
    public void TrainingIsDeterministicForASeed()
    {
        float[] Run()
        {
            var (model, adapters) = TinyLoraModel();
            using var _ = model;
            using var trainer = new SftTrainer(model, adapters.Parameters.Select(p => p.Parameter).ToList(),
                new TrainerOptions { LearningRate = 5e-3, BatchSize = 4, GradientAccumulationSteps = 2, MaxSteps = 5, Seed = 9 }, padId: 0);
            trainer.Train(UppercaseTask(20));
            return adapters.Flatten();
        }
        Assert.Equal(Run(), Run());
    }

    private static List<PreferencePair> Preferences(int count)
    {
        var builder = new ExampleTokenizer(TestTokenizers.CharacterLevel(), TemplateRegistry.Get("chatml", endOfTurn: "</s>"), 128, 1);
        string[] words = ["cat", "dog", "sun", "tree"];
        return Enumerable.Range(0, count).Select(i =>
        {
            string w = words[i % words.Length];
            return builder.Tokenize(new PreferenceExample(Conversation.SingleTurn("say " + w, null), "yes " + w, "no " + w, ExampleMetadata.None))!;
        }).ToList();
    }

    [Fact]
    public void DpoReferenceIsTheBaseModelWithTheAdapterOffExactly()
    {
        var (model, adapters) = TinyLoraModel();
        using var _ = model;
        using (var noGrad = no_grad())
            foreach (var (_, p) in adapters.Parameters) p.add_(0.05);
        var pairs = Preferences(4);
        var (chosen, _) = DpoScoring.ReferenceLogProbs(adapters, pairs, batchSize: 2, padId: 0);

        // The same model with no adapters at all.
        var baseModel = new CausalLm(model.Config, ScalarType.Float32);
        using var __ = baseModel;
        baseModel.InitialiseRandom(new Generator(21), std: 0.1);
        using var ___ = NewDisposeScope();
        var (inputs, labels) = BatchCollator.Collate(pairs.Take(2).Select(p => p.Chosen).ToList(), 0);
        var expected = SequenceLogProbs.Compute(baseModel, inputs, labels).data<float>().ToArray();
        Assert.Equal(expected[0], chosen[0]);
        Assert.Equal(expected[1], chosen[1]);
    }

    [Fact]
    public void DpoRaisesPreferenceAccuracyAndMargin()
    {
        var (model, adapters) = TinyLoraModel();
        using var _ = model;
        var pairs = Preferences(16);
        using var trainer = new DpoTrainer(adapters, new TrainerOptions { LearningRate = 5e-3, BatchSize = 8, MaxSteps = 30, Seed = 2 }, padId: 0, beta: 0.1);
        var history = trainer.Train(pairs);

        Assert.Equal(0, history[0].Margin, 3); // the policy starts equal to the reference
        Assert.True(history[^1].Margin > 0.5, $"final margin {history[^1].Margin}");
        Assert.Equal(1.0, history[^1].Accuracy);
        Assert.True(history[^1].Loss < history[0].Loss);
    }
}
