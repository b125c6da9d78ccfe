using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace FedLlm.Encryption.Homomorphic;

/// <summary>
/// Client-side decryption of an aggregated ciphertext into the weighted mean: v = c0 + (Σ w_t·a_t)·s mod q = Δ·M + E
/// with |E| ≤ W·η &lt; Δ/2, so M = round(v/Δ) exactly, and the mean is M / (2^f·W).
/// </summary>
public sealed class HeDecryptor
{
    private readonly HeParameters _parameters;
    private readonly HeSecretKey _secretKey;

    public HeDecryptor(HeParameters parameters, HeSecretKey secretKey)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(secretKey);
        secretKey.EnsureMatches(parameters);
        _parameters = parameters;
        _secretKey = secretKey;
    }

    /// <summary>
    /// Decrypts Σ w_i·x_i and divides by <paramref name="totalWeight"/>, which must equal the weight the ciphertext
    /// carries (a guard against mixing up rounds or clients). Error per value ≤ 2^−(f+1) plus float rounding.
    /// </summary>
    public float[] Decrypt(EncryptedVector ciphertext, long totalWeight)
    {
        ArgumentNullException.ThrowIfNull(ciphertext);
        if (totalWeight != ciphertext.TotalWeight)
        {
            throw new ArgumentException($"the ciphertext sums weight {ciphertext.TotalWeight} over {ciphertext.TermCount} term(s), but total weight {totalWeight} was given", nameof(totalWeight));
        }
        var sink = new MeanSink(new float[ciphertext.Length], Math.Pow(2, _parameters.FractionalBits) * totalWeight);
        DecryptCore(ciphertext, ref sink);
        return sink.Values;
    }

    /// <summary>The exact integer plaintext Σ w_i·m_i per value (what <see cref="Decrypt"/> divides by 2^f·W).</summary>
    internal long[] DecryptIntegerSums(EncryptedVector ciphertext)
    {
        ArgumentNullException.ThrowIfNull(ciphertext);
        var sink = new IntegerSink(new long[ciphertext.Length]);
        DecryptCore(ciphertext, ref sink);
        return sink.Values;
    }

    private void DecryptCore<TSink>(EncryptedVector ciphertext, ref TSink sink) where TSink : struct, IDecodedSink
    {
        _secretKey.EnsureMatches(_parameters);
        ciphertext.EnsureMatches(_parameters);
        int n = _parameters.RingDegree;
        int length = ciphertext.Length;
        ulong q = _parameters.CiphertextModulus, halfQ = q / 2;
        long scale = (long)_parameters.ScalingFactor, halfScale = scale / 2;
        IReadOnlyList<MaskTerm> terms = ciphertext.Terms;
        var expanders = new MaskExpander[terms.Count];
        (ulong, ulong)[][]? weights = terms.All(term => term.Weight == 1) ? null : [.. terms.Select(term => PrecomputeWeight(term.Weight))];
        var product = new MaskSecretProduct(_parameters, _secretKey);
        var maskTimesSecret = new ulong[n];
        ReadOnlySpan<ulong> body = ciphertext.Body;
        try
        {
            for (int t = 0; t < terms.Count; t++) expanders[t] = new MaskExpander(terms[t].Seed);
            for (int offset = 0, chunk = 0; offset < length; offset += n, chunk++)
            {
                int count = Math.Min(n, length - offset);
                Span<ulong> asProduct = maskTimesSecret.AsSpan(0, count);
                product.Compute(chunk, expanders, weights, asProduct);
                for (int k = 0; k < count; k++)
                {
                    ulong v = ModularArithmetic.Add(body[offset + k], asProduct[k], q);
                    long centred = v > halfQ ? (long)v - (long)q : (long)v;
                    // v = Δ·M + E with |E| < Δ/2, so rounding v/Δ to the nearest integer recovers M exactly.
                    long sum = centred >= 0 ? (centred + halfScale) / scale : -((-centred + halfScale) / scale);
                    sink.Write(offset + k, sum);
                }
            }
        }
        finally
        {
            product.Clear();
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(maskTimesSecret.AsSpan()));
            foreach (MaskExpander? expander in expanders) expander?.Dispose();
        }
    }

    private interface IDecodedSink
    {
        void Write(int index, long integerSum);
    }

    private readonly struct MeanSink(float[] values, double denominator) : IDecodedSink
    {
        public float[] Values => values;
        public void Write(int index, long integerSum) => values[index] = (float)(integerSum / denominator);
    }

    private readonly struct IntegerSink(long[] values) : IDecodedSink
    {
        public long[] Values => values;
        public void Write(int index, long integerSum) => values[index] = integerSum;
    }

    private (ulong, ulong)[] PrecomputeWeight(long weight) =>
        [.. _parameters.Moduli.Select(p =>
        {
            ulong reduced = (ulong)weight % p;
            return (reduced, ModularArithmetic.ShoupPrecompute(reduced, p));
        })];
}
