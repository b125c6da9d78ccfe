using FedLlm.Data.Model;
using FedLlm.Data.Templates;
using FedLlm.Models.Llama;
using FedLlm.Models.Lora;
using FedLlm.Privacy.Accounting;
using FedLlm.Privacy.Mechanisms;
using FedLlm.Tests.Models;
using FedLlm.Tests.Training;
using FedLlm.Training.Examples;
using FedLlm.Training.Optimization;
using FedLlm.Training.Privacy;
using FedLlm.Training.Sft;
using static TorchSharp.torch;

namespace FedLlm.Tests.Privacy;

public class DpSgdTrainingTests
{
    private static (CausalLm Model, LoraAdapterSet Adapters) TinyLoraModel(double dropout = 0)
    {
        var config = TestModels.Config() with { VocabSize = TestTokenizers.CharacterLevel().VocabSize, MaxPositionEmbeddings = 256 };
        var model = new CausalLm(config, ScalarType.Float32);
        model.InitialiseRandom(new Generator(21), std: 0.1);
        var adapters = LoraAdapterSet.Attach(model, new LoraConfig { Rank = 4, Alpha = 8, Dropout = dropout, TargetModules = LoraConfig.AllLinearModules }, seed: 4);
        // B starts at zero, which would make every gradient of A zero: perturb so both factors get real gradients.
        using var noGrad = no_grad();
        using var generator = new Generator(3);
        foreach (var (_, p) in adapters.Parameters)
        {
            using var bump = randn(p.shape, generator: generator) * 0.05;
            p.add_(bump);
        }
        return (model, adapters);
    }

    private static List<TokenizedExample> Examples(int count)
    {
        var builder = new ExampleTokenizer(TestTokenizers.CharacterLevel(), TemplateRegistry.Get("chatml", endOfTurn: "</s>"), 128, 1);
        string[] words = ["cat", "doggy", "sun", "treehouse", "fish", "bird", "moonlight", "rock"];
        return Enumerable.Range(0, count)
            .Select(i => builder.Tokenize(Conversation.SingleTurn("up: " + words[i % words.Length], words[i % words.Length].ToUpperInvariant()))!)
            .ToList();
    }

    [Fact]
    public void Per_example_gradients_equal_one_example_at_a_time_gradients()
    {
        var (model, adapters) = TinyLoraModel();
        using var _ = model;
        var batch = Examples(5);
        Assert.True(batch.Select(e => e.Length).Distinct().Count() >= 3, "examples of different lengths, so the batch is padded");

        using var perExample = PerExampleGradients.Compute(adapters, batch, padId: 0);
        Assert.Equal(5, perExample.BatchSize);
        var parameters = adapters.Parameters.Select(p => p.Parameter).ToList();
        for (int i = 0; i < batch.Count; i++)
        {
            foreach (var p in parameters) p.grad?.zero_();
            foreach (var p in parameters) p.requires_grad = true;
            using (var scope = NewDisposeScope())
            {
                var (inputs, labels) = BatchCollator.Collate([batch[i]], 0);
                var loss = PerExampleLoss.Compute(model, inputs, labels).sum();
                loss.backward();
                Assert.Equal(loss.item<float>(), perExample.Losses[i], 4);
                for (int k = 0; k < parameters.Count; k++)
                {
                    double diff = (parameters[k].grad! - perExample.Gradients[k][i]).abs().max().item<float>();
                    Assert.True(diff < 1e-5, $"example {i}, {adapters.Parameters[k].Name}: max |diff| = {diff:E3}");
                }
            }
        }
        // The per-example path leaves no hooks behind and restores requires_grad.
        Assert.All(adapters.Layers, l => Assert.Null(l.Layer.Tap));
        Assert.All(parameters, p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void Clipping_bounds_every_example_by_C_and_leaves_small_ones_untouched()
    {
        var (model, adapters) = TinyLoraModel();
        using var _ = model;
        using var perExample = PerExampleGradients.Compute(adapters, Examples(6), padId: 0);
        double[] before = perExample.Norms();
        double c = before.Order().ElementAt(3); // half the examples are above C
        var copies = perExample.Gradients.Select(g => g.clone()).ToList();

        double[] factors = perExample.Clip(c);
        double[] after = perExample.Norms();
        for (int i = 0; i < before.Length; i++)
        {
            Assert.True(after[i] <= c, $"example {i}: norm {after[i]:R} > C = {c:R}");
            if (before[i] <= c)
            {
                Assert.Equal(1.0, factors[i]);
                for (int k = 0; k < copies.Count; k++) Assert.True(perExample.Gradients[k][i].eq(copies[k][i]).all().item<bool>());
            }
            else
            {
                Assert.Equal(c, after[i], c * 1e-5); // clipped onto the sphere of radius C
            }
        }
        foreach (var copy in copies) copy.Dispose();
    }

    [Fact]
    public void Released_noise_has_std_sigma_C_over_expected_batch_and_zero_mean()
    {
        const double sigma = 1.3, c = 0.7, expectedBatch = 16;
        var values = new float[200_000];
        using var noise = new SeededGaussianSource(11);
        NoisyGradient.Privatize(values, sigma, c, expectedBatch, noise);
        double mean = values.Average(v => (double)v);
        double std = Math.Sqrt(values.Sum(v => ((double)v - mean) * ((double)v - mean)) / (values.Length - 1));
        double expectedStd = sigma * c / expectedBatch;
        Assert.True(Math.Abs(std - expectedStd) < 0.01 * expectedStd, $"std {std:R}, expected {expectedStd:R}");
        Assert.True(Math.Abs(mean) < 5 * expectedStd / Math.Sqrt(values.Length), $"mean {mean:R}");

        var sum = new float[] { 3f, -1f };
        NoisyGradient.Privatize(sum, 0, c, 4, noise); // σ = 0: plain average over the expected batch
        Assert.Equal([0.75f, -0.25f], sum);
    }

    [Fact]
    public void Dp_sgd_training_learns_and_records_every_step_in_the_accountant()
    {
        var (model, adapters) = TinyLoraModel();
        using var _ = model;
        var train = Examples(64);
        double before = CausalLmLoss.Evaluate(model, train, 8, padId: 0);
        var accountant = new RdpAccountant();
        var options = new TrainerOptions { LearningRate = 1e-2, BatchSize = 8, MaxSteps = 40, Seed = 5 };
        var privacy = new DpSgdOptions { NoiseMultiplier = 0.5, MaxGradNorm = 1.0, ExpectedBatchSize = 16 };
        using (var trainer = new DpSgdTrainer(adapters, options, privacy, padId: 0, accountant: accountant))
        {
            var result = trainer.Train(train);
            Assert.Equal(40, result.Steps);
        }
        double after = CausalLmLoss.Evaluate(model, train, 8, padId: 0);
        Assert.True(after < 0.8 * before, $"loss {before:F3} -> {after:F3}");
        Assert.Equal(40, accountant.TotalSteps);
        var record = Assert.Single(accountant.History);
        Assert.Equal(0.25, record.SampleRate); // 16 expected of 64
        Assert.Equal(NoiseCalibration.EpsilonForNoise(0.5, 1e-5, 0.25, 40), accountant.GetEpsilon(1e-5));
    }

    [Fact]
    public void Without_noise_or_clipping_a_step_releases_the_mean_of_per_example_gradients()
    {
        var (model, adapters) = TinyLoraModel();
        using var _ = model;
        var batch = Examples(6);
        float[] expected;
        using (var perExample = PerExampleGradients.Compute(adapters, batch, padId: 0))
        {
            var sums = adapters.Parameters.Select(p => zeros_like(p.Parameter)).ToList();
            perExample.AddSumTo(sums);
            expected = adapters.Layout.Flatten(sums).Select(v => v / 6).ToArray();
            foreach (var t in sums) t.Dispose();
        }
        using var trainer = new DpSgdTrainer(adapters, new TrainerOptions { LearningRate = 1e-3, BatchSize = 4 },
            new DpSgdOptions { NoiseMultiplier = 0, MaxGradNorm = 1e6 }, padId: 0);
        trainer.Step(batch, expectedBatchSize: 6, learningRate: 1e-3);
        float[] released = adapters.Layout.Flatten(adapters.Parameters.Select(p => p.Parameter.grad!).ToList());
        Assert.True(expected.Max(Math.Abs) > 1e-3, "the batch has a real gradient");
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - released[i]) < 1e-6, $"coordinate {i}: {released[i]} vs {expected[i]}");
    }

    [Fact]
    public void The_same_seed_repeats_only_with_reproducible_randomness()
    {
        float[] Run(bool reproducible)
        {
            var (model, adapters) = TinyLoraModel();
            using var _ = model;
            using var trainer = new DpSgdTrainer(adapters, new TrainerOptions { LearningRate = 5e-3, BatchSize = 4, MaxSteps = 3, Seed = 9 },
                new DpSgdOptions { NoiseMultiplier = 1.0, MaxGradNorm = 0.5, ReproducibleRandomness = reproducible }, padId: 0);
            trainer.Train(Examples(20));
            return adapters.Flatten();
        }
        Assert.Equal(Run(reproducible: true), Run(reproducible: true));
        // By default batches and noise come from the OS CSPRNG: nobody who knows the seed can regenerate the noise.
        Assert.NotEqual(Run(reproducible: false), Run(reproducible: false));
    }
}
