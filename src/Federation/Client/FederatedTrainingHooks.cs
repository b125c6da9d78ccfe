using TorchSharp;
using FedLlm.Models;
using FedLlm.Models.Lora;
using FedLlm.Training.Hooks;
using static TorchSharp.torch;

namespace FedLlm.Federation.Client;

/// <summary>
/// The client side of FedProx and SCAFFOLD as trainer hooks, on the same flat layout the server aggregates.
/// FedProx adds μ/2·‖w − w_g‖² to every step's loss (Li et al. 2020). SCAFFOLD (Karimireddy et al. 2020) corrects every
/// step with w −= lr·(c − c_i), applied after the optimiser step as OpenFedLLM does.
/// </summary>
public sealed class FederatedTrainingHooks : ITrainingHooks, IDisposable
{
    private readonly double _mu;
    private readonly List<Tensor> _global = [];
    private readonly List<Tensor> _correction = [];

    /// <param name="scaffoldCorrection">c − c_i for this round, or null when not running SCAFFOLD.</param>
    public FederatedTrainingHooks(ParameterLayout layout, float[] global, double proximalMu, float[]? scaffoldCorrection)
    {
        _mu = proximalMu;
        if (proximalMu > 0) _global.AddRange(Slices(layout, global));
        if (scaffoldCorrection is not null) _correction.AddRange(Slices(layout, scaffoldCorrection));
    }

    public Tensor? ExtraLoss(IReadOnlyList<Tensor> trainable)
    {
        if (_mu <= 0) return null;
        Tensor? sum = null;
        for (int i = 0; i < trainable.Count; i++)
        {
            var term = trainable[i].Minus(_global[i]).square().sum();
            sum = sum is null ? term : sum.Plus(term);
        }
        using var halfMu = (_mu / 2).ToScalar(); // explicit, not implicit: see RootedScalars
        return sum!.mul(halfMu);
    }

    public void AfterOptimizerStep(IReadOnlyList<Tensor> trainable, double learningRate)
    {
        if (_correction.Count == 0) return;
        using var noGrad = no_grad();
        // Callers step outside any dispose scope; the scaled corrections are temporaries and must not reach the finaliser.
        using var scope = NewDisposeScope();
        using var minusLearningRate = (-learningRate).ToScalar(); // explicit, not implicit: see RootedScalars
        for (int i = 0; i < trainable.Count; i++) trainable[i].add_(_correction[i], minusLearningRate);
    }

    private static IEnumerable<Tensor> Slices(ParameterLayout layout, float[] vector) =>
        layout.Slots.Select(slot => tensor(vector.AsSpan((int)slot.Offset, (int)slot.Length).ToArray(), slot.Shape));

    public void Dispose()
    {
        foreach (var t in _global) t.Dispose();
        foreach (var t in _correction) t.Dispose();
    }
}
