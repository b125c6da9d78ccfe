using TorchSharp;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using FedLlm.Training.Hooks;
using static TorchSharp.torch;

namespace FedLlm.Federation.Client.Algorithms;

/// <summary>
/// SCAFFOLD's client side (Karimireddy et al. 2020), as OpenFedLLM runs it: c_i starts at 0 and persists across rounds
/// (in the client's own <see cref="ClientStateStore"/>); each round the correction c − c_i is fixed from the server's c, and
/// after every optimiser step w ← w − lr·(c − c_i). At the end, option II: c_i⁺ = c_i − c + (x − y_i)/(K·lr), and
/// Δc_i = c_i⁺ − c_i travels to the server (<see cref="Strategies.ExchangeKeys.ScaffoldDeltaControl"/>).
/// </summary>
public sealed class ScaffoldClient : ITrainingHooks, IDisposable
{
    public const string ControlKey = "scaffold.c_i";

    private readonly float[] _clientControl;
    private readonly float[] _correction;
    private List<Tensor>? _correctionSlices;

    /// <param name="clientControl">c_i as the client kept it (taken over, not copied); zeros for a client that never trained.</param>
    /// <param name="serverControl">c from the round's plan.</param>
    public ScaffoldClient(float[] clientControl, ReadOnlySpan<float> serverControl)
    {
        ArgumentNullException.ThrowIfNull(clientControl);
        if (serverControl.Length != clientControl.Length)
            throw new ArgumentException($"Server control has {serverControl.Length} values; this client's c_i has {clientControl.Length}.", nameof(serverControl));
        _clientControl = clientControl;
        _correction = new float[clientControl.Length];
        TensorPrimitives.Subtract(serverControl, _clientControl, _correction);
    }

    /// <summary>c_i (after <see cref="Finish"/>: c_i⁺).</summary>
    public ReadOnlySpan<float> ClientControl => _clientControl;

    /// <summary>c − c_i for this round.</summary>
    public ReadOnlySpan<float> Correction => _correction;

    /// <summary>w ← w − lr·(c − c_i), applied after every optimiser step with that step's learning rate.</summary>
    public void AfterOptimizerStep(IReadOnlyList<Tensor> trainable, double learningRate)
    {
        using var noGrad = no_grad();
        _correctionSlices ??= TensorSlices.Of(_correction, trainable);
        // Callers step outside any dispose scope; the scaled corrections are temporaries and must not reach the finaliser.
        using var scope = NewDisposeScope();
        using var minusLearningRate = (-learningRate).ToScalar(); // explicit, not implicit: see RootedScalars
        for (int i = 0; i < trainable.Count; i++) trainable[i].add_(_correctionSlices[i], minusLearningRate);
    }

    /// <summary>
    /// Option II with x the round's global, y_i the trained vector and K = <paramref name="stepsRun"/>, the optimiser steps
    /// actually taken (the paper's K; OFL passes its configured max_steps, which differs when a client has fewer examples
    /// than bs·ga·max_steps). Stores c_i⁺ and returns Δc_i = c_i⁺ − c_i.
    /// </summary>
    public float[] Finish(ReadOnlySpan<float> trained, ReadOnlySpan<float> global, int stepsRun, double learningRate)
    {
        if (trained.Length != _clientControl.Length || global.Length != _clientControl.Length)
            throw new ArgumentException($"Trained ({trained.Length}) and global ({global.Length}) vectors must both have {_clientControl.Length} values.");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepsRun);
        if (!(learningRate > 0) || double.IsInfinity(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "Learning rate must be a finite number > 0.");
        double scale = 1.0 / (stepsRun * learningRate);
        var deltaControl = new float[_clientControl.Length];
        for (int j = 0; j < deltaControl.Length; j++)
        {
            float updated = (float)(((double)global[j] - trained[j]) * scale - _correction[j]);
            deltaControl[j] = updated - _clientControl[j];
            _clientControl[j] = updated;
        }
        return deltaControl;
    }

    public void Dispose()
    {
        foreach (var slice in _correctionSlices ?? []) slice.Dispose();
    }
}
