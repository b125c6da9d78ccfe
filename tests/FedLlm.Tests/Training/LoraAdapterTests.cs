using System.Text.Json.Nodes;
using FedLlm.Models.Llama;
using FedLlm.Models.Lora;
using FedLlm.Models.SafeTensors;
using FedLlm.Tests.Infrastructure;
using FedLlm.Tests.Models;
using static TorchSharp.torch;

namespace FedLlm.Tests.Training;

public class LoraAdapterTests
{
    private static readonly LoraConfig AllLinear = new() { Rank = 4, Alpha = 8, Dropout = 0, TargetModules = LoraConfig.AllLinearModules };

    private static CausalLm RandomModel(ulong seed = 3)
    {
        var model = new CausalLm(TestModels.Config(), ScalarType.Float32);
        model.InitialiseRandom(new Generator(seed), std: 0.2);
        return model;
    }

    private static void Perturb(LoraAdapterSet adapters, ulong seed)
    {
        using var generator = new Generator(seed);
        using var noGrad = no_grad();
        foreach (var (_, p) in adapters.Parameters)
        {
            using var noise = randn(p.shape, generator: generator) * 0.3;
            p.add_(noise);
        }
    }

    [Fact]
    public void AFreshAdapterLeavesTheModelUnchanged()
    {
        using var model = RandomModel();
        using var ids = tensor(new long[] { 1, 4, 9, 16, 25 }).unsqueeze(0);
        using var before = model.Forward(ids);
        LoraAdapterSet.Attach(model, AllLinear, seed: 1);
        using var after = model.Forward(ids);
        Assert.Equal(0f, (before - after).abs().max().item<float>());
    }

    [Fact]
    public void PeftFilesUsePeftKeysShapesAndConfig()
    {
        using var temp = new TempDirectory();
        using var model = RandomModel();
        var adapters = LoraAdapterSet.Attach(model, AllLinear, seed: 1);
        adapters.Save(temp.Path);

        using var file = SafeTensorsFile.Open(Path.Combine(temp.Path, LoraAdapterSet.WeightsFileName));
        Assert.Equal(2 * 7 * 2, file.Tensors.Count); // 2 layers × 7 projections × (A, B)
        var expectedShapes = new Dictionary<string, (long Out, long In)>
        {
            ["self_attn.q_proj"] = (32, 32), ["self_attn.k_proj"] = (16, 32), ["self_attn.v_proj"] = (16, 32), ["self_attn.o_proj"] = (32, 32),
            ["mlp.gate_proj"] = (48, 32), ["mlp.up_proj"] = (48, 32), ["mlp.down_proj"] = (32, 48),
        };
        for (int layer = 0; layer < 2; layer++)
        foreach (var (module, (outFeatures, inFeatures)) in expectedShapes)
        {
            string prefix = $"base_model.model.model.layers.{layer}.{module}";
            Assert.Equal(new long[] { 4, inFeatures }, file.Tensors[$"{prefix}.lora_A.weight"].Shape);
            Assert.Equal(new long[] { outFeatures, 4 }, file.Tensors[$"{prefix}.lora_B.weight"].Shape);
            Assert.Equal(SafeTensorDType.Float32, file.Tensors[$"{prefix}.lora_A.weight"].DType);
        }

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(temp.Path, LoraAdapterSet.ConfigFileName)))!;
        Assert.Equal("LORA", config["peft_type"]!.GetValue<string>());
        Assert.Equal(4, config["r"]!.GetValue<int>());
        Assert.Equal(8.0, config["lora_alpha"]!.GetValue<double>());
        Assert.Equal("none", config["bias"]!.GetValue<string>());
        Assert.Equal(7, config["target_modules"]!.AsArray().Count);
    }

    [Fact]
    public void ASavedAdapterReloadsWithIdenticalTensors()
    {
        using var temp = new TempDirectory();
        using (var model = RandomModel())
        {
            var adapters = LoraAdapterSet.Attach(model, AllLinear, seed: 1);
            Perturb(adapters, 5);
            adapters.Save(temp.Path);
            float[] original = adapters.Flatten();

            using var other = RandomModel();
            var reloaded = LoraAdapterSet.Load(other, temp.Path);
            Assert.Equal(original, reloaded.Flatten());
            Assert.True(reloaded.Layout.SameAs(adapters.Layout));
        }
    }

    [Fact]
    public void MergedExportGivesTheSameLogitsAsBasePlusAdapter()
    {
        using var model = RandomModel();
        var adapters = LoraAdapterSet.Attach(model, AllLinear with { Alpha = 12 }, seed: 1);
        Perturb(adapters, 9);
        using var ids = tensor(new long[] { 1, 7, 3, 50, 2, 91, 14 }).unsqueeze(0);
        using var withAdapter = model.Forward(ids);

        adapters.MergeIntoBase();
        using var merged = model.Forward(ids);

        double diff = (withAdapter - merged).abs().max().item<float>();
        Assert.True(diff < 1e-4, $"max abs diff {diff}");
        Assert.True((withAdapter.abs().max().item<float>()) > 0.1);
    }

    [Fact]
    public void FlatVectorRoundTripsThroughTheLayout()
    {
        using var model = RandomModel();
        var adapters = LoraAdapterSet.Attach(model, LoraConfig.DefaultModules is var q ? AllLinear with { TargetModules = q } : AllLinear, seed: 2);
        Assert.Equal(2 * (4 * 32 + 32 * 4 + 4 * 32 + 16 * 4), adapters.Layout.TotalLength); // 2 layers × (q: A+B, v: A+B)
        var vector = Enumerable.Range(0, (int)adapters.Layout.TotalLength).Select(i => (float)Math.Sin(i)).ToArray();
        adapters.Load(vector);
        Assert.Equal(vector, adapters.Flatten());
        var slot = adapters.Layout["model.layers.1.self_attn.v_proj.lora_B.weight"];
        Assert.Equal(new long[] { 16, 4 }, slot.Shape);
        Assert.Equal(vector[(int)slot.Offset], adapters.Parameters.Single(p => p.Name == slot.Name).Parameter[0, 0].item<float>());
    }

    [Fact]
    public void LoadingAMismatchedAdapterNamesTheTensor()
    {
        using var temp = new TempDirectory();
        using (var model = RandomModel()) LoraAdapterSet.Attach(model, AllLinear with { Rank = 2 }, seed: 1).Save(temp.Path);
        // Rewrite the config to claim rank 4: shapes no longer match.
        string configPath = Path.Combine(temp.Path, LoraAdapterSet.ConfigFileName);
        File.WriteAllText(configPath, File.ReadAllText(configPath).Replace("\"r\": 2", "\"r\": 4"));
        using var other = RandomModel();
        var error = Assert.Throws<FedLlm.Models.ModelLoadException>(() => LoraAdapterSet.Load(other, temp.Path));
        Assert.Contains("lora_A.weight", error.Message);
        Assert.Contains("shape", error.Message);
    }

    [Fact]
    public void RsLoraScalesByTheSquareRootOfTheRank()
    {
        Assert.Equal(16.0 / 4, (AllLinear with { Rank = 4, Alpha = 16 }).Scaling);
        Assert.Equal(16.0 / 2, (AllLinear with { Rank = 4, Alpha = 16, UseRsLora = true }).Scaling);
    }
}
