using FedLlm.Bench;
using FedLlm.Bench.Peer;
using FedLlm.Models.Llama;
using FedLlm.Tests.Infrastructure;
using FedLlm.Training.Sft;
using static TorchSharp.torch;

namespace FedLlm.Tests.Bench;

public class PeerBenchmarkTests
{
    [Fact]
    public void SkipsWithAMessageNamingTheMissingPython()
    {
        string python = Path.Combine(Path.GetTempPath(), "fedllm-no-such-dir", "python3");
        var result = PeerBenchmark.Run(["--python", python, "--layers", "1"]);

        Assert.Equal("peer", result["benchmark"]!.GetValue<string>());
        string reason = result["skipped"]!.GetValue<string>();
        Assert.Contains(python, reason, StringComparison.Ordinal);
        Assert.Contains("python3-torch", reason, StringComparison.Ordinal);
        Assert.Null(result["figures"]);
    }

    [Fact]
    public void RejectsAnUnknownArgument()
    {
        var error = Assert.Throws<ArgumentException>(() => PeerBenchmark.Run(["--layer", "2"]));
        Assert.Contains("--layer", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The peer builds the same model from the same file: its forward loss and its greedy ids on the KV-cache path match
    /// FedLlm's on a tiny random Qwen2 with non-zero q/k/v biases and weights spread enough that the loss depends on them.
    /// </summary>
    /// <remarks>With <paramref name="bf16File"/> the folder holds bf16 weights (both sides upcast them to fp32), which
    /// exercises the peer's own bf16 safetensors reading.</remarks>
    [PyTorchPeerTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void PeerComputesFedLlmsLossAndGreedyIds(bool bf16File)
    {
        using var folder = new TempDirectory();
        var config = PeerModel.Qwen2Config(layers: 2, hidden: 64, intermediate: 128, heads: 4, kvHeads: 2, vocab: 97);
        PeerModel.Write(folder.Path, config, seed: 7, std: 0.3);
        if (bf16File)
        {
            // ModelWeights.Save writes in the model's dtype: a bf16 model rewrites the file as bf16.
            using var bf16 = PeerModel.Load(folder.Path, ScalarType.BFloat16);
            ModelWeights.Save(bf16, folder.Path);
        }
        long[] ids = [3, 17, 42, 5, 88, 13, 60, 21, 9, 77, 34, 50];

        double fedLlmLoss;
        long[] fedLlmGreedy;
        using (var model = PeerModel.Load(folder.Path, ScalarType.Float32))
        using (var noGrad = no_grad())
        using (var input = tensor(ids).unsqueeze(0))
        using (var summed = CausalLmLoss.Summed(model, input, input))
        {
            fedLlmLoss = summed.item<float>() / (ids.Length - 1);
            fedLlmGreedy = RuntimeBenchmark.Generate(model, promptTokens: 4, newTokens: 12);
        }

        using var peer = PyTorchPeer.Start(PyTorchPeer.DefaultPython, folder.Path);
        double peerLoss = peer.Ask("loss fp32 " + string.Join(' ', ids))["loss"]!.GetValue<double>();
        var peerGreedy = peer.Ask("decode fp32 4 12")["ids"]!.AsArray().Select(n => n!.GetValue<long>()).ToArray();

        Assert.True(Math.Abs(fedLlmLoss - Math.Log(config.VocabSize)) > 0.1, $"loss {fedLlmLoss} is too close to uniform to tell models apart");
        Assert.True(Math.Abs(fedLlmLoss - peerLoss) < 1e-4, $"FedLlm loss {fedLlmLoss}, PyTorch peer loss {peerLoss}");
        Assert.Equal(fedLlmGreedy, peerGreedy);
    }
}
