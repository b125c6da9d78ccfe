namespace FedLlm.Encryption.Homomorphic;

/// <summary>
/// Server-side weighted sum of ciphertexts. Holds no secret: it adds w·c0 mod q coefficient-wise and appends each
/// client's (mask seed, weight) so the key holders can rebuild Σ w·a when decrypting. Enforces the limits the noise
/// budget was validated for: at most K_max terms, weights in [1, W_max], total weight ≤ K_max·W_max.
/// </summary>
public sealed class HeAggregator
{
    private readonly HeParameters _parameters;
    private readonly List<MaskTerm> _terms = [];
    private ulong[]? _sum;

    public HeAggregator(HeParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = parameters;
    }

    /// <summary>Number of ciphertexts added.</summary>
    public int Count { get; private set; }
    public long TotalWeight { get; private set; }

    public void Add(EncryptedVector ciphertext, long weight)
    {
        ArgumentNullException.ThrowIfNull(ciphertext);
        ciphertext.EnsureMatches(_parameters);
        if (weight < 1 || weight > _parameters.MaxWeight)
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, $"weight must be in [1, W_max = {_parameters.MaxWeight}]");
        }
        if (_sum is not null && ciphertext.Length != _sum.Length)
        {
            throw new ArgumentException($"ciphertext holds {ciphertext.Length} values; earlier ones held {_sum.Length}", nameof(ciphertext));
        }
        if (_terms.Count + ciphertext.TermCount > _parameters.MaxClients)
        {
            throw new InvalidOperationException($"adding {ciphertext.TermCount} term(s) to {_terms.Count} exceeds K_max = {_parameters.MaxClients}, the noise budget's limit");
        }
        long addedWeight = weight * ciphertext.TotalWeight; // both ≤ 2^31·K_max, so no overflow before the check below
        if (TotalWeight + addedWeight > _parameters.MaxTotalWeight)
        {
            throw new InvalidOperationException($"total weight {TotalWeight} + {addedWeight} exceeds K_max·W_max = {_parameters.MaxTotalWeight}, the noise budget's limit");
        }

        ulong q = _parameters.CiphertextModulus;
        ulong w = (ulong)weight % q, wShoup = ModularArithmetic.ShoupPrecompute(w, q);
        ReadOnlySpan<ulong> body = ciphertext.Body;
        if (_sum is null)
        {
            _sum = new ulong[body.Length];
        }
        ulong[] sum = _sum;
        for (int k = 0; k < sum.Length; k++)
        {
            sum[k] = ModularArithmetic.Add(sum[k], ModularArithmetic.MultiplyShoup(body[k], w, wShoup, q), q);
        }
        foreach (MaskTerm term in ciphertext.Terms) _terms.Add(term with { Weight = term.Weight * weight });
        TotalWeight += addedWeight;
        Count++;
    }

    /// <summary>The encrypted weighted sum so far (a snapshot; further adds do not change it).</summary>
    public EncryptedVector Result()
    {
        if (_sum is null) throw new InvalidOperationException("no ciphertext has been added");
        return new EncryptedVector(_parameters, [.. _sum], [.. _terms]);
    }
}
