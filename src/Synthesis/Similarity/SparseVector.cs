namespace FedLlm.Synthesis.Similarity;

/// <summary>A sparse vector over term ids, sorted by id, usually L2-normalised (then cosine = dot product).</summary>
public sealed class SparseVector
{
    public SparseVector(int[] ids, double[] values)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(values);
        if (ids.Length != values.Length) throw new ArgumentException($"{ids.Length} ids but {values.Length} values");
        for (int i = 1; i < ids.Length; i++)
        {
            if (ids[i] <= ids[i - 1]) throw new ArgumentException("term ids must be strictly increasing", nameof(ids));
        }
        Ids = ids;
        Values = values;
    }

    public int[] Ids { get; }

    public double[] Values { get; }

    public bool IsEmpty => Ids.Length == 0;

    public double Dot(SparseVector other)
    {
        ArgumentNullException.ThrowIfNull(other);
        double sum = 0;
        int i = 0, j = 0;
        while (i < Ids.Length && j < other.Ids.Length)
        {
            if (Ids[i] == other.Ids[j]) sum += Values[i++] * other.Values[j++];
            else if (Ids[i] < other.Ids[j]) i++;
            else j++;
        }
        return sum;
    }
}
