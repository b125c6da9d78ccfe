namespace FedLlm.Federation.Robust;

/// <summary>
/// Receives the K values of one coordinate (in update order) and the update index of each, with the worker's own
/// state and the stripe the coordinate belongs to (for per-stripe accumulators).
/// </summary>
/// <remarks>The visitor may reorder both spans together (e.g. sort values with their owners); they are refilled for the next coordinate.</remarks>
internal delegate void ColumnVisitor<in TState>(TState state, int stripe, int coordinate, Span<float> values, Span<int> owners);

/// <summary>
/// Walks K row vectors column by column for the coordinate-wise rules. Coordinates are cut into fixed stripes that run
/// in parallel; within a stripe, rows are copied a block at a time into a small K×B buffer that stays in L1, so
/// gathering a column does not stride across K large arrays, and memory beyond the inputs is O(K·B) per worker, never
/// a second K×P copy. The stripes depend only on P, so anything a visitor accumulates per stripe and the caller adds
/// up in stripe order gives the same bits however many threads ran.
/// </summary>
internal static class ColumnScan
{
    private const int BlockSize = 256;

    /// <summary>Coordinates per stripe, the unit of parallel work.</summary>
    public const int StripeSize = 16 * BlockSize;

    public static int StripeCount(int length) => (length + StripeSize - 1) / StripeSize;

    /// <summary>Visits every coordinate; <paramref name="createState"/> makes one state per worker (scratch buffers).</summary>
    public static void ForEach<TState>(IReadOnlyList<float[]> rows, int length, Func<TState> createState, ColumnVisitor<TState> visitor)
    {
        int k = rows.Count;
        Parallel.For(0, StripeCount(length), () => (State: createState(), Block: new float[k * BlockSize], Values: new float[k], Owners: new int[k]),
            (stripe, _, worker) =>
            {
                int end = Math.Min(length, (stripe + 1) * StripeSize);
                for (int start = stripe * StripeSize; start < end; start += BlockSize)
                {
                    int width = Math.Min(BlockSize, end - start);
                    for (int i = 0; i < k; i++)
                    {
                        rows[i].AsSpan(start, width).CopyTo(worker.Block.AsSpan(i * BlockSize, width));
                    }
                    for (int b = 0; b < width; b++)
                    {
                        for (int i = 0; i < k; i++)
                        {
                            worker.Values[i] = worker.Block[i * BlockSize + b];
                            worker.Owners[i] = i;
                        }
                        visitor(worker.State, stripe, start + b, worker.Values, worker.Owners);
                    }
                }
                return worker;
            },
            _ => { });
    }

    /// <summary>Visits every coordinate with no per-worker state.</summary>
    public static void ForEach(IReadOnlyList<float[]> rows, int length, ColumnVisitor<object?> visitor) =>
        ForEach<object?>(rows, length, () => null, visitor);

    /// <summary>Per-stripe accumulators of <paramref name="width"/> values each, summed in stripe order by <see cref="Sum"/>.</summary>
    public static T[][] Accumulators<T>(int length, int width) =>
        [.. Enumerable.Range(0, StripeCount(length)).Select(_ => new T[width])];

    /// <summary>Σ over stripes, in stripe order.</summary>
    public static double[] Sum(double[][] perStripe, int width)
    {
        var total = new double[width];
        foreach (double[] stripe in perStripe)
            for (int i = 0; i < width; i++) total[i] += stripe[i];
        return total;
    }

    public static long[] Sum(long[][] perStripe, int width)
    {
        var total = new long[width];
        foreach (long[] stripe in perStripe)
            for (int i = 0; i < width; i++) total[i] += stripe[i];
        return total;
    }
}
