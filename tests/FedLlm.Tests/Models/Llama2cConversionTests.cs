using FedLlm.Models;
using FedLlm.Models.Conversion;
using FedLlm.Models.Generation;
using FedLlm.Models.SafeTensors;
using FedLlm.Tests.Infrastructure;
using static TorchSharp.torch;

namespace FedLlm.Tests.Models;

public class Llama2cConversionTests
{
    internal static string ConvertStories(TempDirectory temp)
    {
        string output = temp.File("stories260K");
        Llama2cConverter.Convert(SharedData.PathOf("models/stories260K/stories260K.bin"), SharedData.PathOf("models/stories260K/tok512.bin"), output);
        return output;
    }

    [SharedDataFact]
    public void ConvertedStoriesModelReproducesLlama2cGreedyOutputExactly()
    {
        using var temp = new TempDirectory();
        using var model = PretrainedModel.Load(ConvertStories(temp));
        string expected = File.ReadAllText(SharedData.PathOf("models/stories260K/expected_greedy_once_upon_a_time.txt"));

        // llama2.c: BOS at position 0, 256 positions in all (prompt included), stops early only on BOS, which the
        // converter records as a stop token.
        var prompt = new List<int> { model.BosTokenId!.Value };
        prompt.AddRange(model.Tokenizer.Encode("Once upon a time").Select(t => t.Id));
        var streamed = new System.Text.StringBuilder("Once upon a time");
        var result = TextGenerator.Generate(model, prompt, new GenerationOptions
        {
            MaxNewTokens = 256 - prompt.Count + 1, // llama2.c samples at positions P-1 .. 255
        }, chunk => streamed.Append(chunk));

        Assert.Equal(expected.TrimEnd('\n'), model.Tokenizer.Decode(prompt.Skip(1).Concat(result.TokenIds)));
        Assert.Equal(expected.TrimEnd('\n'), "Once upon a time" + result.Text);
        Assert.Equal(expected.TrimEnd('\n'), streamed.ToString());
    }

    [SharedDataFact]
    public void StoriesStopAtTheirBosAndAContinuationKeepsTheSpaceAfterThePrompt()
    {
        using var temp = new TempDirectory();
        using var model = PretrainedModel.Load(ConvertStories(temp));
        string expected = File.ReadAllText(SharedData.PathOf("models/stories260K/expected_greedy_once_upon_a_time.txt"));
        // The prompt ends before "▁named": the dummy-prefix space of that piece is a real space after the prompt.
        const string promptText = "Once upon a time, there was a little girl";
        Assert.StartsWith(promptText + " named", expected);
        var prompt = new List<int> { model.BosTokenId!.Value };
        prompt.AddRange(model.Tokenizer.Encode(promptText).Select(t => t.Id));
        var result = TextGenerator.Generate(model, prompt, new GenerationOptions { MaxNewTokens = 400 });

        Assert.StartsWith(" named Lily.", result.Text);
        Assert.Equal(StopReason.EndOfSequence, result.StopReason);
        Assert.DoesNotContain("<s>", result.Text);
        Assert.Equal(model.Tokenizer.Decode(prompt.Skip(1).Concat(result.TokenIds)), promptText + result.Text);
    }

    [SharedDataFact]
    public void ConvertedFolderHasHuggingFaceLayout()
    {
        using var temp = new TempDirectory();
        string folder = ConvertStories(temp);
        foreach (string file in new[] { "config.json", "model.safetensors", "tokenizer.model", "tokenizer_config.json", "generation_config.json" })
            Assert.True(File.Exists(Path.Combine(folder, file)), file);
        using var weights = SafeTensorsFile.Open(Path.Combine(folder, "model.safetensors"));
        Assert.Equal(new long[] { 512, 64 }, weights.Tensors["model.embed_tokens.weight"].Shape);
        Assert.Equal(new long[] { 32, 64 }, weights.Tensors["model.layers.4.self_attn.k_proj.weight"].Shape);
        Assert.False(weights.Contains("lm_head.weight")); // tied classifier
    }

    [Fact]
    public void InterleavedToRotateHalfPermutesRowsWithinEachHead()
    {
        // Two heads of head_dim 4: llama2.c rows (pairs) 0,1 | 2,3 become HF rows 0,2,1,3 within each head.
        using var weight = arange(8, dtype: ScalarType.Float32).unsqueeze(1);
        using var permuted = Llama2cConverter.InterleavedToRotateHalf(weight, heads: 2);
        Assert.Equal(new float[] { 0, 2, 1, 3, 4, 6, 5, 7 }, permuted.data<float>().ToArray());
    }

    [Fact]
    public void TruncatedCheckpointIsAClearError()
    {
        using var temp = new TempDirectory();
        string checkpoint = temp.File("broken.bin");
        using (var writer = new BinaryWriter(File.Create(checkpoint)))
            foreach (int field in new[] { 64, 172, 5, 8, 4, 512, 512 }) writer.Write(field);
        string tokenizer = temp.File("tok.bin");
        using (var writer = new BinaryWriter(File.Create(tokenizer)))
        {
            writer.Write(8);
            for (int i = 0; i < 512; i++)
            {
                byte[] piece = System.Text.Encoding.UTF8.GetBytes(i < 3 ? new[] { "<unk>", "<s>", "</s>" }[i] : $"t{i}");
                writer.Write(0f);
                writer.Write(piece.Length);
                writer.Write(piece);
            }
        }
        var error = Assert.Throws<ModelLoadException>(() => Llama2cConverter.Convert(checkpoint, tokenizer, temp.File("out")));
        Assert.Contains("truncated", error.Message);
        Assert.Contains("broken.bin", error.Message);
    }
}
