using FedLlm.Federation.Engine;
using FedLlm.Federation.Strategies;
using FedLlm.Training.Hooks;
using static TorchSharp.torch;

namespace FedLlm.Federation.Client.Algorithms;

/// <summary>
/// The client side of a round's plan, in one place: FedProx's proximal term when the plan carries μ, SCAFFOLD's
/// correction and control-variate update when it carries c. The trainer sees only <see cref="ITrainingHooks"/>;
/// <see cref="Finish"/> returns the vectors the update must carry and stores the client's own state.
/// </summary>
public sealed class RoundAlgorithms : ITrainingHooks, IDisposable
{
    private readonly ClientTask _task;
    private readonly ClientStateStore _state;
    private readonly ProximalTerm? _proximal;
    private readonly ScaffoldClient? _scaffold;

    public RoundAlgorithms(ClientTask task, ClientStateStore state)
    {
        _task = task ?? throw new ArgumentNullException(nameof(task));
        _state = state ?? throw new ArgumentNullException(nameof(state));
        if (task.Plan.ProximalMu > 0) _proximal = new ProximalTerm(task.Weights, task.Plan.ProximalMu);
        if (task.Plan.ScaffoldControl is { } serverControl)
            _scaffold = new ScaffoldClient(state.Read(task.ClientId, ScaffoldClient.ControlKey, task.Round) ?? new float[serverControl.Length], serverControl);
    }

    public Tensor? ExtraLoss(IReadOnlyList<Tensor> trainable) => _proximal?.ExtraLoss(trainable);

    public void AfterOptimizerStep(IReadOnlyList<Tensor> trainable, double learningRate) => _scaffold?.AfterOptimizerStep(trainable, learningRate);

    /// <summary>The algorithm vectors for the update (SCAFFOLD: Δc_i, with c_i⁺ saved for the next round the client joins).</summary>
    public IReadOnlyDictionary<string, float[]> Finish(float[] trained, int stepsRun)
    {
        var extras = new Dictionary<string, float[]>();
        if (_scaffold is not null)
        {
            extras[ExchangeKeys.ScaffoldDeltaControl] = _scaffold.Finish(trained, _task.Weights, stepsRun, _task.Plan.LearningRate);
            _state.Write(_task.ClientId, ScaffoldClient.ControlKey, _task.Round, _scaffold.ClientControl);
        }
        return extras;
    }

    public void Dispose()
    {
        _proximal?.Dispose();
        _scaffold?.Dispose();
    }
}
