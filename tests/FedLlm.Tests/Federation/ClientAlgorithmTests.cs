using FedLlm.Federation.Client;
using FedLlm.Federation.Client.Algorithms;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Strategies;
using FedLlm.Tests.Infrastructure;
using static TorchSharp.torch;

namespace FedLlm.Tests.Federation;

/// <summary>The client side of FedProx and SCAFFOLD, tested through the hooks the trainer actually calls.</summary>
public class ClientAlgorithmTests
{
    [Fact]
    public void ProximalTermLossAndGradient()
    {
        using var proximal = new ProximalTerm([0, 2, 5], mu: 0.5);
        using var w = tensor(new float[] { 1, 2, 3 }).requires_grad_(true);
        using var loss = proximal.ExtraLoss([w])!;
        // (0.5/2)·(1 + 0 + 4) = 1.25
        Assert.Equal(1.25, loss.item<float>(), 6);
        loss.backward();
        // ∂/∂w = μ·(w − w_g)
        Assert.Equal([0.5f, 0f, -1f], w.grad!.data<float>().ToArray());
    }

    [Fact]
    public void ProximalTermCoversSeveralTensorsInLayoutOrder()
    {
        using var proximal = new ProximalTerm([1, 1, 1, 1, 1, 1], mu: 2);
        using var a = zeros(2, 2);
        using var b = zeros(2);
        using var loss = proximal.ExtraLoss([a, b])!;
        Assert.Equal(6.0, loss.item<float>(), 6); // (2/2)·6·1²
        Assert.Throws<ArgumentException>(() => new ProximalTerm([1, 1], mu: 1).ExtraLoss([a]));
    }

    [Fact]
    public void ScaffoldCorrectsEveryStepAndEstimatesTheControlVariate()
    {
        using var client = new ScaffoldClient(new float[4], [1, 2, 3, 4]);
        Assert.Equal([1f, 2f, 3f, 4f], client.Correction.ToArray());
        using var first = zeros(2);
        using var second = zeros(2);
        client.AfterOptimizerStep([first, second], 0.5);
        Assert.Equal([-0.5f, -1f], first.data<float>().ToArray());
        Assert.Equal([-1.5f, -2f], second.data<float>().ToArray());
        float[] delta = client.Finish([0, 0, 0, 0], [0.5f, 0.5f, 0.5f, 0.5f], stepsRun: 5, learningRate: 0.1);
        // c_i⁺ = 0.5/(5·0.1) − (c − 0) = 1 − c
        Assert.Equal([0f, -1f, -2f, -3f], delta);
        Assert.Equal([0f, -1f, -2f, -3f], client.ClientControl.ToArray());
    }

    [Fact]
    public void ScaffoldMisuseIsExplained()
    {
        Assert.Throws<ArgumentException>(() => new ScaffoldClient(new float[2], [0, 0, 0]));
        using var client = new ScaffoldClient(new float[2], [0, 0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => client.Finish([0, 0], [0, 0], stepsRun: 0, learningRate: 0.1));
    }

    [Fact]
    public void ARoundsAlgorithmsFollowThePlanAndKeepTheClientsControlVariateInItsStore()
    {
        using var temp = new TempDirectory();
        var store = new ClientStateStore(temp.Path);
        var plan = new RoundPlan(0, 0.1) { ProximalMu = 0.2, Vectors = new Dictionary<string, float[]> { [ExchangeKeys.ScaffoldServerControl] = [1, 1] } };
        var task = new ClientTask(0, ClientId: 3, Weights: [0.5f, 0.5f], plan);
        using (var algorithms = new RoundAlgorithms(task, store))
        {
            using var w = tensor(new float[] { 0.5f, 0.5f });
            Assert.NotNull(algorithms.ExtraLoss([w]));
            var extras = algorithms.Finish([0, 0], stepsRun: 5);
            Assert.Equal([0f, 0f], extras[ExchangeKeys.ScaffoldDeltaControl]); // 0.5/(5·0.1) − 1 = 0
        }
        Assert.Equal([0f, 0f], store.Read(3, ScaffoldClient.ControlKey, round: 1)!);
        using var plain = new RoundAlgorithms(task with { Plan = new RoundPlan(0, 0.1) }, store);
        using var x = zeros(2);
        Assert.Null(plain.ExtraLoss([x]));
        Assert.Empty(plain.Finish([0, 0], stepsRun: 1));
    }
}
