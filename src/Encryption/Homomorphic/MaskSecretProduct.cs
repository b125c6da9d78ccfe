using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace FedLlm.Encryption.Homomorphic;

/// <summary>
/// Computes (Σ_t w_t·a_t)·s mod q for one chunk, where each a_t is expanded from a seed directly in the NTT domain:
/// accumulate w_t·â_t per prime, multiply pointwise by ŝ·N^−1, inverse-NTT without scaling, CRT-combine.
/// The result is secret-dependent; <see cref="Clear"/> zeroes the work buffers.
/// </summary>
internal sealed class MaskSecretProduct
{
    private readonly HeParameters _parameters;
    private readonly HeSecretKey _secretKey;
    private readonly ulong[][] _residues;
    private readonly ulong[] _scratch;

    public MaskSecretProduct(HeParameters parameters, HeSecretKey secretKey)
    {
        _parameters = parameters;
        _secretKey = secretKey;
        int n = parameters.RingDegree;
        _residues = [.. parameters.Moduli.Select(_ => new ulong[n])];
        _scratch = new ulong[n];
    }

    /// <param name="weights">Per term, per prime: (w mod p_i, Shoup companion); null means every weight is 1.</param>
    public void Compute(int chunk, MaskExpander[] expanders, (ulong Value, ulong Shoup)[][]? weights, Span<ulong> destination)
    {
        for (int i = 0; i < _residues.Length; i++)
        {
            NttTables tables = _parameters.Tables[i];
            ulong p = tables.Prime;
            ulong[] accumulator = _residues[i];
            if (expanders.Length == 1 && weights is null)
            {
                expanders[0].Expand(chunk, i, p, accumulator);
            }
            else
            {
                Array.Clear(accumulator);
                for (int t = 0; t < expanders.Length; t++)
                {
                    expanders[t].Expand(chunk, i, p, _scratch);
                    if (weights is null)
                    {
                        for (int k = 0; k < accumulator.Length; k++) accumulator[k] = ModularArithmetic.Add(accumulator[k], _scratch[k], p);
                    }
                    else
                    {
                        (ulong w, ulong wShoup) = weights[t][i];
                        for (int k = 0; k < accumulator.Length; k++)
                        {
                            accumulator[k] = ModularArithmetic.Add(accumulator[k], ModularArithmetic.MultiplyShoup(_scratch[k], w, wShoup, p), p);
                        }
                    }
                }
            }
            (ulong[] secret, ulong[] secretShoup) = _secretKey.ScaledNtt(i);
            for (int k = 0; k < accumulator.Length; k++)
            {
                accumulator[k] = ModularArithmetic.MultiplyShoupLazy(accumulator[k], secret[k], secretShoup[k], p);
            }
            NegacyclicNtt.InverseWithoutScaling(accumulator, tables);
        }
        _parameters.Crt.Compose(_residues, destination);
    }

    public void Clear()
    {
        foreach (ulong[] residue in _residues) CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(residue.AsSpan()));
    }
}
