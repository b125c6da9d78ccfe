using System.Globalization;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Pruning;
using FedLlm.Federation.Strategies;
using FedLlm.Encryption.Homomorphic;

namespace FedLlm.Federation.Encryption;

/// <summary>
/// The server's half of encrypted FedAvg: it checks each uploaded ciphertext against the public parameters and the
/// round's expected length, then sums them with integer sample-count weights (<see cref="SampleCountWeights"/>) in an
/// <see cref="HeAggregator"/>. It holds only public values: the HE parameters and the pruning plan (whose only use here
/// is the upload length). The clients divide by Σ w_i when they decrypt, so the result is the weighted mean delta.
/// </summary>
public sealed class EncryptedFedAvgAggregator : IOpaqueUpdateAggregator
{
    private readonly HeParameters _parameters;
    private readonly PruningPlan _pruning;

    public EncryptedFedAvgAggregator(HeParameters parameters, PruningPlan pruning)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(pruning);
        _parameters = parameters;
        _pruning = pruning;
    }

    /// <summary>
    /// FedAvg only: its server step is a weighted mean, which is linear and so can run on ciphertexts. Adaptive server
    /// optimisers (FedAdam/Yogi/Adagrad) need the plaintext Δ for their moments; SCAFFOLD also averages control variates.
    /// </summary>
    public IReadOnlyList<string> SupportedAlgorithms { get; } = [StrategyNames.FedAvg];

    public string? Validate(int round, ClientUpdate update) => Check(round, update, out _);

    /// <summary>Validates an upload and hands back the parsed ciphertext, so aggregation parses each upload once.</summary>
    private string? Check(int round, ClientUpdate update, out EncryptedVector? parsed)
    {
        ArgumentNullException.ThrowIfNull(update);
        parsed = null;
        string who = $"client {update.ClientId.ToString(CultureInfo.InvariantCulture)}";
        if (update.EncryptedPayload is not { } payload) return $"{who}: no encrypted payload, but encryption is on";
        if (update.Weights.Length != 0 || update.Extras.Count != 0) return $"{who}: sent plaintext vectors alongside its ciphertext; refused so nothing leaks in the clear";
        if (update.SampleCount < 1) return $"{who}: sample count {update.SampleCount} cannot weight an encrypted update (must be ≥ 1)";
        EncryptedVector ciphertext;
        try
        {
            ciphertext = EncryptedVector.FromBytes(payload, _parameters);
        }
        catch (InvalidDataException e)
        {
            return $"{who}: malformed ciphertext ({payload.Length} bytes): {e.Message}";
        }
        int expected = _pruning.UploadLength(round);
        if (ciphertext.Length != expected)
        {
            return $"{who}: ciphertext holds {ciphertext.Length} values, but round {round} expects {expected} (pruning {_pruning.Mode}, rate {_pruning.RateAt(round).ToString("G4", CultureInfo.InvariantCulture)})";
        }
        if (ciphertext.TermCount != 1 || ciphertext.TotalWeight != 1)
        {
            return $"{who}: ciphertext already sums {ciphertext.TermCount} term(s) of weight {ciphertext.TotalWeight}; a client must send one fresh ciphertext";
        }
        parsed = ciphertext;
        return null;
    }

    public byte[] Aggregate(int round, IReadOnlyList<ClientUpdate> updates)
    {
        ArgumentNullException.ThrowIfNull(updates);
        if (updates.Count == 0) throw new ArgumentException("cannot aggregate a round without updates", nameof(updates));
        var ciphertexts = new EncryptedVector[updates.Count];
        for (int i = 0; i < updates.Count; i++)
        {
            if (Check(round, updates[i], out var parsed) is { } problem) throw new ArgumentException(problem, nameof(updates));
            ciphertexts[i] = parsed!;
        }
        long[] weights = SampleCountWeights.For([.. updates.Select(u => u.SampleCount)], _parameters.MaxWeight);
        var aggregator = new HeAggregator(_parameters);
        for (int i = 0; i < updates.Count; i++) aggregator.Add(ciphertexts[i], weights[i]);
        return aggregator.Result().ToBytes();
    }
}
