using FedLlm.Data.Loading;
using FedLlm.Data.Model;
using FedLlm.Data.Templates;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Models;
using FedLlm.Models.Lora;
using FedLlm.Tests.Infrastructure;
using FedLlm.Tests.Models;
using FedLlm.Training.Dpo;
using FedLlm.Training.Examples;
using FedLlm.Training.Optimization;
using FedLlm.Training.Runs;
using static TorchSharp.torch;

namespace FedLlm.Tests.Training;

/// <summary>LoRA fine-tuning of the real (tiny) stories260K model on the shared Alpaca and DPO demo files.</summary>
public class StoriesFineTuningTests
{
    private static string ConvertStories(TempDirectory temp) => Llama2cConversionTests.ConvertStories(temp);

    [SharedDataFact]
    public void LoraSftOnAlpacaLowersHeldOutLossByAtLeastTenPercent()
    {
        using var temp = new TempDirectory();
        var config = new RunConfig
        {
            Name = "alpaca",
            OutputDirectory = temp.File("runs"),
            Seed = 1,
            Model = new ModelSection { Path = ConvertStories(temp) },
            Data = new DataSection { Path = SharedData.PathOf("data/alpaca/alpaca_en_demo.json"), HeldOutFraction = 0.05 },
            Lora = new LoraSection { Rank = 8, Alpha = 16, Dropout = 0 },
            Training = new TrainingSection { LearningRate = 1e-2, BatchSize = 8, MaxSteps = 60, WarmupSteps = 5, MaxSequenceLength = 64 },
            Evaluation = new EvaluationSection { Every = 30, MaxExamples = 32 },
        };
        Assert.Empty(config.Validate(RunPurpose.Train));
        var records = RunRecords.Load(config);
        var party = RunData.ForParty(config, records, 0, "local");
        Assert.Equal(999, party.Train.Count + party.HeldOut.Count);
        Assert.Equal(50, party.HeldOut.Count);
        // A few hundred training records are plenty for 60 steps and keep tokenization short.
        records = records with { Records = records.Records.Take(240 + 12).ToList() };

        using var model = PretrainedModel.Load(config.Model.Path!);
        var (run, _, _) = LocalTraining.Prepare(config, model, records);
        var result = run.Run();

        Assert.Equal(60, result.Steps.Count);
        Assert.Equal(new[] { 0, 30, 60 }, result.Evaluations.Select(e => e.Step));
        double before = result.Evaluations[0].HeldOutLoss, after = result.Evaluations[^1].HeldOutLoss;
        Assert.True(after <= 0.9 * before, $"held-out loss {before:F4} -> {after:F4}");
        Assert.True(File.Exists(Path.Combine(config.RunDirectory, TrainingRun.AdapterFolder, LoraAdapterSet.WeightsFileName)));
    }

    [SharedDataFact]
    public void DpoOnPreferenceDemoRaisesAccuracyAndMarginWithTheBaseAsExactReference()
    {
        using var temp = new TempDirectory();
        string modelPath = ConvertStories(temp);
        using var model = PretrainedModel.Load(modelPath);
        var loaded = DatasetLoader.Load<PreferenceExample>(SharedData.PathOf("data/dpo/dpo_en_demo.json"),
            new DatasetLoadOptions { BadRows = BadRowPolicy.Fail });
        Assert.Equal(300, loaded.Examples.Count);
        var tokenizer = new ExampleTokenizer(model.Tokenizer, TemplateRegistry.Get("alpaca", endOfTurn: model.EndOfTurnToken),
            80, model.PrependedBosId);
        var pairs = loaded.Examples.Take(32).Select(tokenizer.Tokenize).OfType<PreferencePair>().ToList();
        Assert.Equal(32, pairs.Count);
        int padId = model.PadId;

        var adapters = LoraAdapterSet.Attach(model.Model, new LoraConfig { Rank = 8, Alpha = 16, Dropout = 0, TargetModules = LoraConfig.AllLinearModules }, seed: 7);
        using var trainer = new DpoTrainer(adapters, new TrainerOptions { LearningRate = 1e-2, BatchSize = 8, MaxSteps = 20, Seed = 3 }, padId, beta: 0.1);
        var reference = DpoScoring.ReferenceLogProbs(adapters, pairs, 8, padId);
        var before = DpoScoring.Evaluate(model.Model, pairs, reference, 0.1, 8, padId);
        var history = trainer.Train(pairs);
        var after = DpoScoring.Evaluate(model.Model, pairs, reference, 0.1, 8, padId);

        Assert.Equal(0, before.Margin, 6); // a fresh adapter (B = 0) is the reference
        Assert.True(after.Accuracy >= before.Accuracy + 0.3, $"accuracy {before.Accuracy:F3} -> {after.Accuracy:F3}");
        Assert.True(after.Margin > before.Margin + 0.1, $"margin {before.Margin:F4} -> {after.Margin:F4}");
        Assert.True(after.Loss < before.Loss, $"loss {before.Loss:F4} -> {after.Loss:F4}");
        Assert.Equal(20, history.Count);

        // Reference log-probs with the trained adapter switched off equal a base model that never had one, exactly.
        var (chosen, rejected) = DpoScoring.ReferenceLogProbs(adapters, pairs.Take(8).ToList(), 8, padId);
        using var fresh = PretrainedModel.Load(modelPath);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var (chosenIds, chosenLabels) = BatchCollator.Collate(pairs.Take(8).Select(p => p.Chosen).ToList(), padId);
        var (rejectedIds, rejectedLabels) = BatchCollator.Collate(pairs.Take(8).Select(p => p.Rejected).ToList(), padId);
        Assert.Equal(SequenceLogProbs.Compute(fresh.Model, chosenIds, chosenLabels).data<float>().Select(v => (double)v), chosen);
        Assert.Equal(SequenceLogProbs.Compute(fresh.Model, rejectedIds, rejectedLabels).data<float>().Select(v => (double)v), rejected);
        Assert.Equal(reference.Chosen.Take(8), chosen);
    }
}
