using System.Numerics.Tensors;
using FedLlm.Foundation.Randomness;
using FedLlm.Federation.Strategies;
using FedLlm.Privacy.Accounting;
using FedLlm.Privacy.Mechanisms;

namespace FedLlm.Federation.Privacy;

/// <summary>
/// Client-level DP (DP-FedAvg, McMahan et al. 2018) around any aggregating strategy: the server clips every update
/// Δ_i = w_i − w to S (fixed, or adaptive after Andrew et al. 2021), averages with the fixed denominator m, adds
/// N(0, (zS/m)²) and hands only that private mean to the wrapped strategy, as one update w + Δ̄. Whatever the wrapped
/// strategy does with it (FedAvg, FedAvgM momentum, FedAdam/Yogi/Adagrad) is post-processing, so the guarantee holds.
/// One round = one sampled Gaussian step with q = m/N, composed in an RDP accountant kept (and checkpointed) for the
/// whole run. With <see cref="ClientDpOptions.ClientSideNoise"/> the clients clip and add the noise; the server only averages.
/// </summary>
/// <remarks>
/// The engine samples m clients without replacement, while the accountant assumes Poisson sampling with q = m/N (the
/// usual approximation, also in Flower and TFF). Not transport-aware: it sees only updates. SCAFFOLD's Δc_i and the
/// local-only and central baselines are not privatised by this wrapper and are rejected.
/// </remarks>
public sealed class DpFedAvgStrategy : ServerStrategy
{
    public const string NoisePurpose = "dp-fedavg-noise";

    private readonly ServerStrategy _inner;
    private readonly ulong _runSeed;
    private RdpAccountant _accountant = new();
    private AdaptiveClipping? _adaptive;
    private double _clipNorm;

    public DpFedAvgStrategy(ServerStrategy inner, ClientDpOptions privacy, ulong runSeed)
        : base((inner ?? throw new ArgumentNullException(nameof(inner))).Options)
    {
        ArgumentNullException.ThrowIfNull(privacy);
        string? why = inner is DpFedAvgStrategy ? "it is already wrapped" : inner.Capabilities.WhyNotClientDp;
        if (why is not null) throw new ArgumentException($"client-level DP cannot wrap '{inner.Name}': {why}");
        if (privacy.ClientsPerRound <= 0 || privacy.TotalClients < privacy.ClientsPerRound)
            throw new ArgumentException($"client-level DP needs 0 < clients per round ({privacy.ClientsPerRound}) <= total clients ({privacy.TotalClients})");
        if (privacy.ClientSideNoise && privacy.AdaptiveQuantile is not null)
            throw new ArgumentException("client-side noise works with fixed clipping only (the clients would need the noisy clip norm first)");
        DpSgd.NoiseStd(privacy.NoiseMultiplier, privacy.ClipNorm); // validates z and S
        _inner = inner;
        // The wrapped step sees one mean; with client-side noise its denominator is the fixed m the noise was scaled for.
        Capabilities = inner.Capabilities with
        {
            Mean = new MeanRule(DeltaWeighting.Unweighted, privacy.ClientSideNoise ? privacy.ClientsPerRound : null),
        };
        Privacy = privacy;
        _runSeed = runSeed;
        _clipNorm = privacy.ClipNorm;
        if (privacy.AdaptiveQuantile is double quantile) _adaptive = NewAdaptive(quantile, privacy.ClipNorm);
    }

    public override string Name => _inner.Name + "+client-dp";

    public override StrategyCapabilities Capabilities { get; }

    public ClientDpOptions Privacy { get; }

    /// <summary>The wrapped strategy.</summary>
    public ServerStrategy Inner => _inner;

    /// <summary>S now (moves each round under adaptive clipping).</summary>
    public double ClipNorm => _adaptive?.ClipNorm ?? _clipNorm;

    /// <summary>Rounds composed so far.</summary>
    public long RoundsAccounted => _accountant.TotalSteps;

    /// <summary>Client-level ε after every aggregated round so far.</summary>
    public double Epsilon => _accountant.GetEpsilon(Privacy.Delta);

    /// <summary>ε after one more round, for budget checks before running it.</summary>
    public double EpsilonAfterNextRound()
    {
        var next = RdpAccountant.FromState(_accountant.ExportState());
        next.Record(Privacy.NoiseMultiplier, Privacy.SampleRate, 1);
        return next.GetEpsilon(Privacy.Delta);
    }

    /// <summary>True when a budget is set and one more round would exceed it.</summary>
    public bool BudgetExhausted => Privacy.EpsilonBudget is double budget && EpsilonAfterNextRound() > budget;

    public override IReadOnlyList<int> SampleClients(int round, IReadOnlyList<int> availableClientIds, ulong runSeed) =>
        _inner.SampleClients(round, availableClientIds, runSeed);

    public override RoundPlan PlanRound(int round, float[] global)
    {
        var plan = _inner.PlanRound(round, global);
        return Privacy.ClientSideNoise
            ? plan with { ClientNoise = new ClientNoisePlan(_clipNorm, Privacy.NoiseMultiplier, Privacy.ClientsPerRound) }
            : plan;
    }

    protected override float[] AggregateCore(int round, float[] global, IReadOnlyList<ClientUpdate> updates, int totalClients)
    {
        var deltas = updates.Select(u =>
        {
            var delta = GC.AllocateUninitializedArray<float>(global.Length);
            TensorPrimitives.Subtract(u.Weights, global, delta); // one exactly rounded float subtraction per value, as before
            return delta;
        }).ToList();

        float[] mean;
        IGaussianSource noise = Privacy.ReproducibleNoise
            ? new SeededGaussianSource(SeedDerivation.Derive(_runSeed, NoisePurpose, round))
            : new CryptoGaussianSource();
        try
        {
            if (Privacy.ClientSideNoise) // the clients already clipped and noised: only the mean over the fixed m is left
                mean = AggregationMath.WeightedMeanRoundedToSingle(deltas, [.. deltas.Select(_ => 1.0)], global.Length, Privacy.ClientsPerRound);
            else if (_adaptive is not null)
                mean = _adaptive.AggregateRound(deltas, noise);
            else
                mean = DpFedAvg.AggregateWithCentralNoise(deltas, _clipNorm, Privacy.NoiseMultiplier, noise, Privacy.ClientsPerRound);
        }
        finally
        {
            (noise as IDisposable)?.Dispose();
        }
        // The wrapped strategy's step sees only the private mean; anything it computes from it is post-processing.
        return Step(round, global, Array.ConvertAll(mean, v => (double)v));
    }

    public override float[] Step(int round, ReadOnlySpan<float> global, ReadOnlySpan<double> meanDelta) => _inner.Step(round, global, meanDelta);

    /// <summary>One round = one sampled Gaussian step, whether the server noised plaintext or summed ciphertexts the clients noised.</summary>
    public override void RoundAggregated(int round) => _accountant.Record(Privacy.NoiseMultiplier, Privacy.SampleRate, 1);

    protected override void WriteState(BinaryWriter writer)
    {
        writer.Write(ClipNorm);
        writer.Write(_accountant.ToJson());
        _inner.WriteWrappedState(writer);
    }

    protected override void ReadState(BinaryReader reader)
    {
        double clipNorm = reader.ReadDouble();
        if (!(clipNorm > 0) || double.IsInfinity(clipNorm))
            throw new InvalidDataException($"client-level DP state has clip norm {clipNorm}; it must be finite and > 0");
        string json = reader.ReadString();
        try
        {
            _accountant = RdpAccountant.FromJson(json);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new InvalidDataException($"client-level DP state: accountant is corrupt ({e.Message})", e);
        }
        _clipNorm = clipNorm;
        if (Privacy.AdaptiveQuantile is double quantile) _adaptive = NewAdaptive(quantile, clipNorm);
        _inner.ReadWrappedState(reader);
    }

    private AdaptiveClipping NewAdaptive(double quantile, double clipNorm) =>
        new(Privacy.NoiseMultiplier, Privacy.ClientsPerRound, clipNorm, quantile, Privacy.AdaptiveLearningRate, Privacy.AdaptiveCountNoise);
}
