using FedLlm.Federation.Strategies;

namespace FedLlm.Tests.Federation;

public class ClientAlgorithmTests
{
    [Fact]
    public void ProximalLossAndGradient()
    {
        var algorithm = ClientAlgorithm.FromPlan(new RoundPlan(0, 1e-4) { ProximalMu = 0.5 });
        float[] w = [1, 2, 3];
        float[] wg = [0, 2, 5];
        // (0.5/2)·(1 + 0 + 4) = 1.25
        Assert.Equal(1.25, algorithm.ProximalLoss(w, wg), 12);
        float[] grad = [10, 10, 10];
        algorithm.AddProximalGradient(grad, w, wg);
        Assert.Equal([10.5f, 10f, 9f], grad);
    }

    [Fact]
    public void ProximalGradientCoversLongVectorsInChunks()
    {
        var algorithm = new ClientAlgorithm(0.25);
        float[] w = [.. Enumerable.Range(0, 10_000).Select(i => (float)i)];
        float[] wg = new float[w.Length];
        float[] grad = new float[w.Length];
        algorithm.AddProximalGradient(grad, w, wg);
        Assert.Equal(0.25f * 9_999, grad[^1]);
        Assert.Equal(0.25f * 4_096, grad[4_096]);
    }

    [Fact]
    public void ZeroMuIsANoOp()
    {
        var algorithm = new ClientAlgorithm();
        float[] grad = [1, 2];
        algorithm.AddProximalGradient(grad, [5, 5], [0, 0]);
        Assert.Equal([1f, 2f], grad);
        Assert.Equal(0.0, algorithm.ProximalLoss([5, 5], [0, 0]));
        Assert.False(algorithm.UsesProximalTerm);
    }

    [Fact]
    public void ScaffoldCorrectionBySliceAndStateRoundTrip()
    {
        var client = new ScaffoldClient(4);
        client.BeginRound([1, 2, 3, 4]);
        float[] slice = [0, 0];
        client.ApplyCorrection(slice, 0.5, offset: 2);
        Assert.Equal([-1.5f, -2f], slice);
        float[] delta = client.Finish([0, 0, 0, 0], [0.5f, 0.5f, 0.5f, 0.5f], stepsRun: 5, learningRate: 0.1);
        // c_i⁺ = 0.5/(5·0.1) − (c − 0) = 1 − c
        Assert.Equal([0f, -1f, -2f, -3f], delta);

        using var buffer = new MemoryStream();
        client.Save(buffer);
        buffer.Position = 0;
        ScaffoldClient restored = ScaffoldClient.Load(buffer);
        Assert.Equal(client.ClientControl.ToArray(), restored.ClientControl.ToArray());
        Assert.Throws<InvalidDataException>(() => ScaffoldClient.Load(new MemoryStream([0, 1, 2])));
    }

    [Fact]
    public void ScaffoldMisuseIsExplained()
    {
        var client = new ScaffoldClient(2);
        Assert.Throws<InvalidOperationException>(() => client.ApplyCorrection(new float[2], 0.1));
        client.BeginRound([0, 0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => client.Finish([0, 0], [0, 0], stepsRun: 0, learningRate: 0.1));
        Assert.Throws<ArgumentException>(() => client.BeginRound([0, 0, 0]));
    }
}
