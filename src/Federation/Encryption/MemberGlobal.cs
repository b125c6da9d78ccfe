using FedLlm.Federation.Strategies;

namespace FedLlm.Federation.Encryption;

/// <summary>
/// A member's own copy of the global model in an encrypted run. The server only adds ciphertexts; every member
/// decrypts the round's mean delta and runs the strategy's server step on it (FedAvg: w + Δ; FedAvgM and FedOpt also
/// advance their moments), with its own copy of the step's state. All members apply the same aggregates in the same
/// order, so they hold the same global and state, while the server sees neither. No peer offers adaptive server
/// optimisers under encryption; this is how FedLlm does.
/// </summary>
public sealed class MemberGlobal
{
    private readonly EncryptedUpdateClient _client;
    private readonly ServerStrategy _strategy;

    /// <param name="strategy">A strategy built from the same config as the server's; only its step and state are used.</param>
    public MemberGlobal(EncryptedUpdateClient client, ServerStrategy strategy, float[] initial)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _strategy = strategy ?? throw new ArgumentNullException(nameof(strategy));
        if (strategy.Capabilities.WhyNotEncrypted is { } why) throw new ArgumentException($"'{strategy.Name}' cannot run encrypted: {why}", nameof(strategy));
        Global = initial ?? throw new ArgumentNullException(nameof(initial));
    }

    public float[] Global { get; private set; }

    /// <summary>Decrypts round <paramref name="round"/>'s aggregate (as member <paramref name="clientId"/>) and steps the global.</summary>
    /// <exception cref="InvalidDataException">The aggregate is malformed or made with other parameters.</exception>
    public void Apply(int clientId, int round, ReadOnlySpan<byte> aggregate)
    {
        double[] delta = _client.DecryptMeanDelta(clientId, round, aggregate, _strategy.Capabilities.Mean!);
        Global = _strategy.Step(round, Global, delta);
    }

    /// <summary>Restores a saved global and the step's state (both written by the same member at the same round).</summary>
    public void Restore(float[] global, byte[] strategyState)
    {
        Global = global ?? throw new ArgumentNullException(nameof(global));
        using var stream = new MemoryStream(strategyState);
        _strategy.LoadState(stream);
    }

    /// <summary>The step's state (momentum, moments) for saving beside the global.</summary>
    public byte[] StrategyState()
    {
        using var stream = new MemoryStream();
        _strategy.SaveState(stream);
        return stream.ToArray();
    }
}
