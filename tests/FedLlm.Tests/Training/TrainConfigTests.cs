using FedLlm.Tests.Infrastructure;
using FedLlm.Training.Runs;

namespace FedLlm.Tests.Training;

public class TrainConfigTests
{
    [Fact]
    public void HeldOutSplitIsDeterministicDisjointAndComplete()
    {
        var records = Enumerable.Range(0, 200).ToList();
        var (train, heldOut) = HeldOutSplit.Split(records, 0.1, seed: 5);
        var (train2, heldOut2) = HeldOutSplit.Split(records, 0.1, seed: 5);
        var (_, otherHeldOut) = HeldOutSplit.Split(records, 0.1, seed: 6);

        Assert.Equal(20, heldOut.Count);
        Assert.Equal(train, train2);
        Assert.Equal(heldOut, heldOut2);
        Assert.NotEqual(heldOut, otherHeldOut);
        Assert.Equal(records, train.Concat(heldOut).Order());
        Assert.Equal(heldOut.Order(), heldOut); // file order is kept
        Assert.Empty(HeldOutSplit.Split(records, 0, seed: 5).HeldOut);
        Assert.Single(HeldOutSplit.Split([1, 2], 0.9, seed: 1).Train); // at least one record is always trained on
    }

    [Fact]
    public void ValidConfigHasNoProblems()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("d.jsonl"), "");
        var config = new TrainConfig { OutputDir = temp.File("out"), Model = new() { Path = temp.Path }, Data = new() { Path = temp.File("d.jsonl") } };
        Assert.Empty(config.Validate());
        Assert.Empty((config with { Method = "dpo", Data = config.Data with { Format = "preference", OnBadRow = "fail" } }).Validate());
        Assert.Empty((config with { Trainable = "full" }).Validate());
    }

    [Fact]
    public void EveryProblemIsNamedWithItsKey()
    {
        using var temp = new TempDirectory();
        var config = new TrainConfig
        {
            Method = "ppo",
            Model = new() { Path = temp.File("missing"), Dtype = "float16" },
            Data = new() { Path = temp.File("missing.json"), Format = "csvish", Template = "mystery", OnBadRow = "ignore", HeldOutFraction = 1 },
            Lora = new() { Rank = 0, Targets = "q_proj,x_proj" },
            Training = new() { BatchSize = 0, Schedule = "zigzag" },
        };
        string all = string.Join("\n", config.Validate());
        foreach (string expected in new[] { "method", "output_dir", "model.path", "model.dtype", "data.path", "data.format", "data.template",
                     "data.on_bad_row", "data.held_out_fraction", "lora", "training" })
            Assert.Contains(expected, all);
    }

    [Fact]
    public void FullTrainingRejectsBf16AndDpo()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("d.jsonl"), "");
        var config = new TrainConfig
        {
            Trainable = "full", OutputDir = temp.File("out"), Model = new() { Path = temp.Path }, Data = new() { Path = temp.File("d.jsonl") },
        };
        Assert.Contains((config with { Model = config.Model with { Dtype = "bfloat16" } }).Validate(), p => p.Contains("float32"));
        Assert.Contains((config with { Method = "dpo" }).Validate(), p => p.Contains("dpo"));
    }
}
