using FedLlm.Foundation.Randomness;
using FedLlm.Models.Lora;

namespace FedLlm.Federation.Pruning;

/// <summary>
/// One round's mask, the same for every client: the sorted flat indices of the entries that are kept. Clients gather
/// the kept entries of their update before encrypting (so the ciphertext covers only those), and scatter the decrypted
/// mean back; entries outside the mask keep their global value this round.
/// </summary>
public sealed class SharedPruningMask
{
    private readonly int[] _kept;

    private SharedPruningMask(int length, int[] kept)
    {
        Length = length;
        _kept = kept;
    }

    /// <summary>Length of the full vector (P).</summary>
    public int Length { get; }

    /// <summary>Sorted flat indices of the kept entries.</summary>
    public IReadOnlyList<int> KeptIndices => _kept;

    public int KeptCount => _kept.Length;

    /// <summary>How many values a mask at <paramref name="rate"/> keeps: Σ over tensors of n − round(rate·n).</summary>
    public static int KeptCountFor(ParameterLayout layout, double rate)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return (int)layout.Slots.Sum(slot => slot.Length - PruningSchedule.PrunedCount(slot.Length, rate));
    }

    /// <summary>
    /// A mask anyone can rebuild from (run seed, round): in every tensor, round(rate·n) entries chosen uniformly without
    /// replacement are pruned. Needs no plaintext, so the server can compute it too.
    /// </summary>
    public static SharedPruningMask FromRoundSeed(ParameterLayout layout, double rate, ulong runSeed, int round)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var random = Xoshiro256StarStar.ForPurpose(runSeed, "shared-pruning-mask", round);
        var kept = new List<int>(KeptCountFor(layout, rate));
        foreach (ParameterSlot slot in layout.Slots)
        {
            int n = (int)slot.Length, pruned = (int)PruningSchedule.PrunedCount(n, rate);
            int[] order = [.. Enumerable.Range(0, n)];
            // Partial Fisher–Yates: the first `pruned` positions become a uniform sample of the pruned entries.
            for (int i = 0; i < pruned; i++)
            {
                int j = i + random.NextInt(n - i);
                (order[i], order[j]) = (order[j], order[i]);
            }
            AddKept(kept, (int)slot.Offset, order.AsSpan(pruned));
        }
        return new SharedPruningMask((int)layout.TotalLength, [.. kept]);
    }

    /// <summary>
    /// The mask that keeps, per tensor, the entries of largest |global| (ties by index): what a party holding the
    /// plaintext global (the clients, under encryption) can agree on without talking. Self-reinforcing: entries never
    /// kept never move, so a zero-initialised LoRA B keeps the same entries forever. See docs/homomorphic-encryption.md.
    /// </summary>
    public static SharedPruningMask FromGlobalMagnitudes(ParameterLayout layout, ReadOnlySpan<float> global, double rate)
    {
        ArgumentNullException.ThrowIfNull(layout);
        MagnitudePruner.CheckLength(global.Length, layout);
        var kept = new List<int>(KeptCountFor(layout, rate));
        foreach (ParameterSlot slot in layout.Slots)
        {
            int[] order = MagnitudePruner.RankByMagnitude(global.Slice((int)slot.Offset, (int)slot.Length));
            AddKept(kept, (int)slot.Offset, order.AsSpan((int)PruningSchedule.PrunedCount(slot.Length, rate)));
        }
        return new SharedPruningMask((int)layout.TotalLength, [.. kept]);
    }

    /// <summary>The kept entries of <paramref name="full"/>, in mask order.</summary>
    public float[] Gather(ReadOnlySpan<float> full)
    {
        CheckFull(full.Length);
        var values = new float[_kept.Length];
        for (int k = 0; k < _kept.Length; k++) values[k] = full[_kept[k]];
        return values;
    }

    /// <summary>Adds <paramref name="kept"/> (one value per kept entry) into <paramref name="full"/> at the kept indices.</summary>
    public void ScatterAdd(ReadOnlySpan<float> kept, Span<float> full)
    {
        CheckFull(full.Length);
        if (kept.Length != _kept.Length)
        {
            throw new ArgumentException($"{kept.Length} values for a mask that keeps {_kept.Length}", nameof(kept));
        }
        for (int k = 0; k < _kept.Length; k++) full[_kept[k]] += kept[k];
    }

    private static void AddKept(List<int> kept, int offset, Span<int> keptInTensor)
    {
        keptInTensor.Sort();
        foreach (int index in keptInTensor) kept.Add(offset + index);
    }

    private void CheckFull(int length)
    {
        if (length != Length) throw new ArgumentException($"the vector has {length} values; the mask covers {Length}");
    }
}
