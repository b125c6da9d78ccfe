using FedLlm.Models.Lora;

namespace FedLlm.Federation.Pruning;

/// <summary>
/// Per-tensor unstructured L1 magnitude pruning (FedShield-LLM's <c>prune.l1_unstructured</c>, applied here to the
/// update rather than the weights): in every tensor of the layout, the round(rate·n) entries of smallest |value| are set
/// to zero. Ties go to the lower index first, so the result is deterministic.
/// </summary>
public static class MagnitudePruner
{
    /// <summary>Zeroes the pruned entries of <paramref name="values"/> in place; returns how many were zeroed.</summary>
    public static long PruneInPlace(Span<float> values, ParameterLayout layout, double rate)
    {
        ArgumentNullException.ThrowIfNull(layout);
        CheckLength(values.Length, layout);
        long pruned = 0;
        foreach (ParameterSlot slot in layout.Slots)
        {
            Span<float> tensor = values.Slice((int)slot.Offset, (int)slot.Length);
            int count = (int)PruningSchedule.PrunedCount(slot.Length, rate);
            foreach (int index in SmallestMagnitudes(tensor, count)) tensor[index] = 0f;
            pruned += count;
        }
        return pruned;
    }

    /// <summary>Indices (within <paramref name="tensor"/>) of the <paramref name="count"/> smallest |values|, ties by index.</summary>
    public static int[] SmallestMagnitudes(ReadOnlySpan<float> tensor, int count)
    {
        int[] order = RankByMagnitude(tensor);
        return order[..count];
    }

    /// <summary>Indices sorted by ascending |value|, then ascending index.</summary>
    internal static int[] RankByMagnitude(ReadOnlySpan<float> tensor)
    {
        var keys = new float[tensor.Length];
        var order = new int[tensor.Length];
        for (int i = 0; i < tensor.Length; i++)
        {
            keys[i] = Math.Abs(tensor[i]);
            order[i] = i;
        }
        // Array.Sort is unstable; sorting (|v|, index) pairs makes ties deterministic.
        Array.Sort(order, (a, b) => keys[a] != keys[b] ? keys[a].CompareTo(keys[b]) : a.CompareTo(b));
        return order;
    }

    internal static void CheckLength(int length, ParameterLayout layout)
    {
        if (length != layout.TotalLength)
        {
            throw new ArgumentException($"the vector has {length} values but the adapter layout covers {layout.TotalLength}");
        }
    }
}
