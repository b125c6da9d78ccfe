using System.Globalization;
using System.Runtime.CompilerServices;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Pruning;
using FedLlm.Federation.Strategies;
using FedLlm.Encryption.Homomorphic;

namespace FedLlm.Federation.Encryption;

/// <summary>
/// The server's half of encrypted aggregation: it checks each uploaded ciphertext against the public parameters and the
/// round's expected length, then sums them in an <see cref="HeAggregator"/> with the strategy's weights: integer sample
/// counts (<see cref="SampleCountWeights"/>) for FedAvg's weighted mean, 1 for an unweighted mean. It holds only public
/// values: the HE parameters and the pruning plan (whose only use here is the upload length). The members divide by the
/// mean's denominator when they decrypt and run the strategy's server step on the result.
/// </summary>
public sealed class EncryptedFedAvgAggregator : IOpaqueUpdateAggregator
{
    private readonly HeParameters _parameters;
    private readonly PruningPlan _pruning;
    // The ciphertext parsed while checking an upload, reused by the aggregation: each upload is parsed once.
    private readonly ConditionalWeakTable<ClientUpdate, EncryptedVector> _parsed = [];

    public EncryptedFedAvgAggregator(HeParameters parameters, PruningPlan pruning)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(pruning);
        _parameters = parameters;
        _pruning = pruning;
    }

    public string? Validate(int round, ClientUpdate update)
    {
        string? problem = Check(round, update, out var parsed);
        if (parsed is not null) _parsed.AddOrUpdate(update, parsed);
        return problem;
    }

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

    public byte[] Aggregate(int round, IReadOnlyList<ClientUpdate> updates, MeanRule mean)
    {
        ArgumentNullException.ThrowIfNull(updates);
        ArgumentNullException.ThrowIfNull(mean);
        if (updates.Count == 0) throw new ArgumentException("cannot aggregate a round without updates", nameof(updates));
        var ciphertexts = new EncryptedVector[updates.Count];
        for (int i = 0; i < updates.Count; i++)
        {
            if (_parsed.TryGetValue(updates[i], out var checkedBefore)) ciphertexts[i] = checkedBefore;
            else if (Check(round, updates[i], out var parsed) is { } problem) throw new ArgumentException(problem, nameof(updates));
            else ciphertexts[i] = parsed!;
        }
        long[] weights = mean.Weighting == DeltaWeighting.BySampleCount && mean.FixedDenominator is null
            ? SampleCountWeights.For([.. updates.Select(u => u.SampleCount)], _parameters.MaxWeight)
            : [.. updates.Select(_ => 1L)];
        var aggregator = new HeAggregator(_parameters);
        for (int i = 0; i < updates.Count; i++) aggregator.Add(ciphertexts[i], weights[i]);
        return aggregator.Result().ToBytes();
    }
}
