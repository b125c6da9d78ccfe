namespace FedLlm.Encryption.Homomorphic;

/// <summary>
/// Chinese-remainder recombination of RNS residues into one value mod q = ∏ p_i (q &lt; 2^63):
/// x = Σ_i [x_i·(q/p_i)^−1 mod p_i]·(q/p_i) mod q. Each summand is below q, so the sum needs no wide arithmetic.
/// </summary>
internal sealed class CrtComposer
{
    private readonly ulong[] _moduli;
    private readonly ulong[] _cofactors;
    private readonly ulong[] _cofactorInverses;
    private readonly ulong[] _cofactorInversesShoup;
    private readonly ulong _modulus;

    public CrtComposer(ulong[] moduli, ulong modulus)
    {
        _moduli = moduli;
        _modulus = modulus;
        _cofactors = new ulong[moduli.Length];
        _cofactorInverses = new ulong[moduli.Length];
        _cofactorInversesShoup = new ulong[moduli.Length];
        for (int i = 0; i < moduli.Length; i++)
        {
            _cofactors[i] = modulus / moduli[i];
            _cofactorInverses[i] = ModularArithmetic.InversePrime(_cofactors[i] % moduli[i], moduli[i]);
            _cofactorInversesShoup[i] = ModularArithmetic.ShoupPrecompute(_cofactorInverses[i], moduli[i]);
        }
    }

    /// <summary>destination[k] = CRT(residues[0][k], …, residues[L−1][k]) for k &lt; destination.Length.</summary>
    public void Compose(ulong[][] residues, Span<ulong> destination)
    {
        if (_moduli.Length == 1)
        {
            residues[0].AsSpan(0, destination.Length).CopyTo(destination);
            return;
        }
        destination.Clear();
        for (int i = 0; i < _moduli.Length; i++)
        {
            ulong p = _moduli[i], cofactor = _cofactors[i], inverse = _cofactorInverses[i], inverseShoup = _cofactorInversesShoup[i];
            ulong[] residue = residues[i];
            for (int k = 0; k < destination.Length; k++)
            {
                ulong term = ModularArithmetic.MultiplyShoup(residue[k], inverse, inverseShoup, p) * cofactor;
                destination[k] = ModularArithmetic.Add(destination[k], term, _modulus);
            }
        }
    }
}
