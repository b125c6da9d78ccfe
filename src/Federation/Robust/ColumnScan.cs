namespace FedLlm.Federation.Robust;

/// <summary>Receives the K values of one coordinate (in update order) and the update index of each.</summary>
/// <remarks>The visitor may reorder both spans together (e.g. sort values with their owners); they are refilled for the next coordinate.</remarks>
internal delegate void ColumnVisitor(int coordinate, Span<float> values, Span<int> owners);

/// <summary>
/// Walks K row vectors column by column for the coordinate-wise rules. Rows are copied a block at a time into a small
/// K×B buffer that stays in L1, so gathering a column does not stride across K large arrays; memory beyond the inputs
/// is O(K·B), never a second K×P copy.
/// </summary>
internal static class ColumnScan
{
    private const int BlockSize = 256;

    public static void ForEach(IReadOnlyList<float[]> rows, int length, ColumnVisitor visitor)
    {
        int k = rows.Count;
        var block = new float[k * BlockSize];
        var values = new float[k];
        var owners = new int[k];
        for (int start = 0; start < length; start += BlockSize)
        {
            int width = Math.Min(BlockSize, length - start);
            for (int i = 0; i < k; i++)
            {
                rows[i].AsSpan(start, width).CopyTo(block.AsSpan(i * BlockSize, width));
            }
            for (int b = 0; b < width; b++)
            {
                for (int i = 0; i < k; i++)
                {
                    values[i] = block[i * BlockSize + b];
                    owners[i] = i;
                }
                visitor(start + b, values, owners);
            }
        }
    }
}
