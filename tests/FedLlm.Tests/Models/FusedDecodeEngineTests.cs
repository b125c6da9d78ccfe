using System.Text.Json.Nodes;
using FedLlm.Models;
using FedLlm.Models.Generation;
using FedLlm.Models.Generation.Fused;
using FedLlm.Models.Llama;
using FedLlm.Models.Lora;
using FedLlm.Tests.Infrastructure;
using static TorchSharp.torch;

namespace FedLlm.Tests.Models;

/// <summary>
/// The fused C# decode engine against the libtorch engine on the same weights: same greedy ids over 64+ tokens and
/// logits within fp32 rounding, through prompt prefill, single-token steps and several sequences at once.
/// </summary>
public class FusedDecodeEngineTests
{
    private const int NewTokens = 72;
    // Logits of these models are O(1); fp32 kernels that sum in a different order agree to ~1e-6.
    private const float Fp32Tolerance = 2e-4f;
    private static readonly int[] Prompt = [1, 17, 42, 5, 88, 23, 9];

    private static CausalLm RandomModel(string architecture, ScalarType dtype, bool tied = false, JsonObject? ropeScaling = null)
    {
        var config = TestModels.Config(architecture, tied: tied, ropeScaling: ropeScaling, maxPositions: 160);
        var model = new CausalLm(config, dtype);
        model.InitialiseRandom(new Generator(11), std: 0.15);
        using var noGrad = no_grad();
        var biases = new Generator(12);
        // The random initialiser zeroes biases; give them values so a dropped bias would show.
        foreach (var (name, parameter) in model.named_parameters().Where(p => p.name.EndsWith(".bias", StringComparison.Ordinal)))
        {
            using var sample = normal(0, 0.3, parameter.shape, generator: biases);
            parameter.copy_(sample);
        }
        return model;
    }

    [Theory]
    [InlineData("LlamaForCausalLM", false)]
    [InlineData("LlamaForCausalLM", true)]
    [InlineData("Qwen2ForCausalLM", false)]
    [InlineData("MistralForCausalLM", true)]
    public void Fp32GreedyDecodingMatchesTheLibtorchEngine(string architecture, bool tied)
    {
        using var model = RandomModel(architecture, ScalarType.Float32, tied);
        Assert.Equal(architecture == "Qwen2ForCausalLM", model.Layers[0].SelfAttention.QProj.Bias is not null);
        AssertSameGreedyDecoding(model, model, Fp32Tolerance);
    }

    [Fact]
    public void ScaledRopeIsAppliedAsOnTheLibtorchPath()
    {
        var scaling = new JsonObject { ["rope_type"] = "linear", ["factor"] = 4.0 };
        using var model = RandomModel("LlamaForCausalLM", ScalarType.Float32, ropeScaling: scaling);
        Assert.NotNull(model.Config.RopeScaling);
        AssertSameGreedyDecoding(model, model, Fp32Tolerance);
    }

    [Fact]
    public void Bf16WeightsDecodeAsTheSameWeightsInFp32AndCloseToLibtorchBf16()
    {
        // The fused engine keeps activations in fp32 over bf16 weights; libtorch's bf16 path rounds every activation to
        // bf16 as well. So ids are held to the libtorch path over exactly the same (bf16-valued) weights in fp32, and the
        // bf16 libtorch path is checked for closeness at bf16's precision.
        using var bf16 = RandomModel("Qwen2ForCausalLM", ScalarType.BFloat16);
        using var widened = WidenedCopy(bf16);
        AssertSameGreedyDecoding(bf16, widened, Fp32Tolerance);

        using var fused = new FusedDecodeEngine(bf16, 1);
        using var torch = new TorchDecodeEngine(bf16, 1);
        using var a = fused.Append([fused.Open()], [Prompt]);
        using var b = torch.Append([torch.Open()], [Prompt]);
        Assert.True(MaxDifference(a, b) < 0.05f, $"bf16 logits differ by {MaxDifference(a, b)}");
    }

    [Fact]
    public void AnAttachedLoraAdapterIsMergedAndDecodesAsTheUnmergedModel()
    {
        using var model = RandomModel("Qwen2ForCausalLM", ScalarType.Float32);
        var adapters = AttachTrainedLookingAdapter(model);
        adapters.Enabled = false;
        using var plain = new FusedDecodeEngine(model, 1);
        adapters.Enabled = true;
        using var merged = new FusedDecodeEngine(model, 1);
        using var withAdapter = merged.Append([merged.Open()], [Prompt]);
        using var without = plain.Append([plain.Open()], [Prompt]);
        Assert.True(MaxDifference(withAdapter, without) > 0.05f, "the adapter must change the logits, or this test proves nothing");
        AssertSameGreedyDecoding(model, model, Fp32Tolerance);
    }

    [Fact]
    public void ALoraAdapterOverBf16WeightsIsMergedInFp32()
    {
        // Merged in bf16, most of a small update would round away; the engine keeps adapted projections in fp32, so it
        // decodes as libtorch does on the same bf16-valued base in fp32 with the same adapter.
        using var bf16 = RandomModel("Qwen2ForCausalLM", ScalarType.BFloat16);
        using var widened = WidenedCopy(bf16);
        AttachTrainedLookingAdapter(bf16);
        AttachTrainedLookingAdapter(widened);
        AssertSameGreedyDecoding(bf16, widened, Fp32Tolerance);
    }

    /// <summary>An fp32 model holding exactly the bf16 model's values.</summary>
    private static CausalLm WidenedCopy(CausalLm bf16)
    {
        var widened = RandomModel(bf16.Config.Architecture, ScalarType.Float32);
        using var noGrad = no_grad();
        var source = bf16.state_dict();
        foreach (var (name, parameter) in widened.state_dict()) parameter.copy_(source[name].to(ScalarType.Float32));
        return widened;
    }

    /// <summary>LoRA on all seven projections with random non-zero B (a fresh adapter's zero B would change nothing).</summary>
    private static LoraAdapterSet AttachTrainedLookingAdapter(CausalLm model)
    {
        var adapters = LoraAdapterSet.Attach(model, new LoraConfig { Rank = 4, Alpha = 8, Dropout = 0, TargetModules = LoraConfig.AllLinearModules }, seed: 3);
        using var noGrad = no_grad();
        var generator = new Generator(5);
        foreach (var (_, layer) in adapters.Layers)
        {
            using var sample = normal(0, 0.2, layer.B.Weight.shape, generator: generator);
            layer.B.Weight.copy_(sample);
        }
        return adapters;
    }

    [Fact]
    public void SeveralSequencesOfDifferentLengthsDecodeAsEachAlone()
    {
        using var model = RandomModel("Qwen2ForCausalLM", ScalarType.Float32);
        int[][] prompts = [Prompt, [1, 3], [1, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78]];
        using var fused = new FusedDecodeEngine(model, prompts.Length);
        using var torch = new TorchDecodeEngine(model, prompts.Length);
        int[] f = prompts.Select(_ => fused.Open()).ToArray(), t = prompts.Select(_ => torch.Open()).ToArray();
        using var first = fused.Append(f, prompts);
        using var expected = torch.Append(t, prompts);
        Assert.True(MaxDifference(first, expected) < Fp32Tolerance);
        for (int step = 0; step < 8; step++)
        {
            var next = expected.argmax(1).data<long>().Select(id => (IReadOnlyList<int>)[(int)id]).ToArray();
            using var a = fused.Append(f, next);
            using var b = torch.Append(t, next);
            Assert.True(MaxDifference(a, b) < Fp32Tolerance, $"step {step}: {MaxDifference(a, b)}");
        }
        fused.Close(f[1]);
        int reopened = fused.Open();
        Assert.Equal(0, fused.Length(reopened));
        Assert.Equal(prompts[2].Length + 8, fused.Length(f[2]));
    }

    [Fact]
    public void TheEngineChoiceFallsBackToLibtorchForWhatTheKernelsDoNotServe()
    {
        using var model = RandomModel("LlamaForCausalLM", ScalarType.Float32);
        using (var small = DecodeEngines.Create(model, 1)) Assert.IsType<FusedDecodeEngine>(small);
        using (var large = DecodeEngines.Create(model, FusedDecodeEngine.MaxBatch + 1)) Assert.IsType<TorchDecodeEngine>(large);
        using var fused = new FusedDecodeEngine(model, 1);
        Assert.Throws<NotSupportedException>(() => fused.Open(adapter: 1));

        var adapters = LoraAdapterSet.Attach(model, new LoraConfig { Rank = 2, Dropout = 0.1 }, seed: 1);
        adapters.Training = true;
        Assert.Contains("training", FusedDecodeEngine.Unsupported(model));
        using (var training = DecodeEngines.Create(model, 1)) Assert.IsType<TorchDecodeEngine>(training);
        Assert.Throws<NotSupportedException>(() => new FusedDecodeEngine(model, 1));
    }

    [SharedDataFact]
    public void StoriesGreedyTextIsLlama2csThroughTheFusedEngine()
    {
        using var temp = new TempDirectory();
        using var model = PretrainedModel.Load(Llama2cConversionTests.ConvertStories(temp));
        string expected = File.ReadAllText(SharedData.PathOf("models/stories260K/expected_greedy_once_upon_a_time.txt")).TrimEnd('\n');
        var prompt = new List<int> { model.BosTokenId!.Value };
        prompt.AddRange(model.Tokenizer.Encode("Once upon a time").Select(t => t.Id));
        using var engine = new FusedDecodeEngine(model.Model, 1);
        using var generator = new BatchGenerator(model, engine);
        var result = generator.GenerateAll([new GenerationJob { PromptIds = prompt, Options = new GenerationOptions { MaxNewTokens = 256 - prompt.Count + 1 } }])[0];
        Assert.Equal(expected, "Once upon a time" + result.Text);
    }

    /// <summary>Greedy decoding of <see cref="NewTokens"/> tokens after <see cref="Prompt"/>, fused on <paramref name="fusedModel"/>
    /// against libtorch on <paramref name="referenceModel"/>: the same ids, and logits within <paramref name="tolerance"/> at every step.</summary>
    private static void AssertSameGreedyDecoding(CausalLm fusedModel, CausalLm referenceModel, float tolerance)
    {
        using var fused = new FusedDecodeEngine(fusedModel, 1);
        using var torch = new TorchDecodeEngine(referenceModel, 1);
        int f = fused.Open(), t = torch.Open();
        IReadOnlyList<int> fusedNext = Prompt, torchNext = Prompt;
        var fusedIds = new List<int>();
        var torchIds = new List<int>();
        float worst = 0;
        for (int step = 0; step < NewTokens; step++)
        {
            using var a = fused.Append([f], [fusedNext]);
            using var b = torch.Append([t], [torchNext]);
            fusedIds.Add((int)a.argmax(1).item<long>());
            torchIds.Add((int)b.argmax(1).item<long>());
            if (fusedIds.SequenceEqual(torchIds)) worst = Math.Max(worst, MaxDifference(a, b));
            fusedNext = [fusedIds[^1]];
            torchNext = [torchIds[^1]];
        }
        Assert.Equal(torchIds, fusedIds);
        Assert.True(worst < tolerance, $"logits differ by up to {worst}");

        // Greedy text of a random model (tied ones especially) can settle on one token; a forced stream of varied
        // tokens makes sure every step sees new keys, values and positions.
        var random = new Random(3);
        for (int step = 0; step < NewTokens / 2; step++)
        {
            int[] forced = [random.Next(fusedModel.Config.VocabSize)];
            using var a = fused.Append([f], [forced]);
            using var b = torch.Append([t], [forced]);
            Assert.True(MaxDifference(a, b) < tolerance, $"forced step {step}: logits differ by {MaxDifference(a, b)}");
        }
    }

    private static float MaxDifference(Tensor a, Tensor b)
    {
        using var difference = (a - b).abs().max();
        return difference.item<float>();
    }
}
