using FedLlm.Training.Optimization;

namespace FedLlm.Federation.Strategies;

/// <summary>
/// Configuration of a server strategy: algorithm name plus hyperparameters. Null hyperparameters take the
/// algorithm's documented default (see docs/strategies.md); <see cref="StrategyRegistry.Validate"/> reports every problem at once.
/// </summary>
public sealed record StrategyOptions
{
    /// <summary>A name in <see cref="StrategyRegistry"/>, case-insensitive.</summary>
    public required string Algorithm { get; init; }

    /// <summary>N: the number of clients in the federation (SCAFFOLD divides Σ Δc_i by it).</summary>
    public required int TotalClients { get; init; }

    /// <summary>K: clients sampled per round. Mutually exclusive with <see cref="ClientFraction"/>; neither means all.</summary>
    public int? ClientsPerRound { get; init; }

    /// <summary>Fraction of the available clients sampled per round, in (0, 1]; K = max(1, ⌊fraction·available⌋).</summary>
    public double? ClientFraction { get; init; }

    /// <summary>T: total rounds planned (the cosine schedule's horizon).</summary>
    public int TotalRounds { get; init; } = 200;

    /// <summary>Client learning rate of round 0 (OFL/FedLLM-Bench default 2e-5).</summary>
    public double LearningRate { get; init; } = 2e-5;

    /// <summary>Floor of the cosine schedule (OFL: 1e-6 for SFT, 1e-5 for DPO).</summary>
    public double MinLearningRate { get; init; } = 1e-6;

    /// <summary>How the client learning rate moves across rounds (constant within a round, as OFL).</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Cosine;

    /// <summary>FedProx μ (OFL: 0.01). Only FedProx sends it to clients.</summary>
    public double ProximalMu { get; init; } = 0.01;

    /// <summary>Server learning rate η. Defaults: FedOpt 1e-3 (OFL); FedAvgM heavy-ball 1 − β, FedAvgM EMA 1.</summary>
    public double? ServerLearningRate { get; init; }

    /// <summary>β1 (momentum). Defaults: FedAvgM, FedAdam, FedYogi 0.9; FedAdagrad 0.</summary>
    public double? Beta1 { get; init; }

    /// <summary>β2 for FedAdam/FedYogi (Reddi et al. 2021, OFL: 0.99).</summary>
    public double Beta2 { get; init; } = 0.99;

    /// <summary>τ: adaptivity / v₀ = τ² for FedAdagrad/FedYogi/FedAdam (1e-3).</summary>
    public double Tau { get; init; } = 1e-3;

    /// <summary>How FedOpt averages client deltas; Reddi et al. and OFL use the unweighted mean.</summary>
    public DeltaWeighting FedOptWeighting { get; init; } = DeltaWeighting.Unweighted;

    /// <summary>Which FedAvgM recurrence to use (see <see cref="FedAvgMForm"/>).</summary>
    public FedAvgMForm MomentumForm { get; init; } = FedAvgMForm.HeavyBall;

    /// <summary>Local-only baseline: when set, only this client trains (OFL's <c>localK</c>, without its one-digit limit).</summary>
    public int? LocalClientId { get; init; }
}

public enum DeltaWeighting
{
    /// <summary>Δ = (1/|S|) Σ (w_i − w).</summary>
    Unweighted,

    /// <summary>Δ = Σ (n_i/n_S)(w_i − w).</summary>
    BySampleCount,
}

public enum FedAvgMForm
{
    /// <summary>Hsu et al. 2019 (and Flower): v = β·v + Δ, w += η·v, v starts at 0.</summary>
    HeavyBall,

    /// <summary>OFL: m = β·m + (1 − β)·Δ with m = Δ in the first aggregated round, w += η·m.</summary>
    Ema,
}
