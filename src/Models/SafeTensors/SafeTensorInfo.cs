namespace FedLlm.Models.SafeTensors;

/// <summary>
/// One header entry: the tensor's dtype, row-major shape and its byte range [DataBegin, DataEnd) relative to the
/// start of the file's byte buffer (as in the header's "data_offsets").
/// </summary>
public sealed record SafeTensorInfo(string Name, SafeTensorDType DType, IReadOnlyList<long> Shape, long DataBegin, long DataEnd)
{
    public long ByteLength => DataEnd - DataBegin;

    /// <summary>Product of the shape; 1 for a scalar (shape []), 0 when any dimension is 0.</summary>
    public long ElementCount => Shape.Aggregate(1L, (count, dimension) => count * dimension);

    public override string ToString() =>
        $"{Name}: {DType.ToHeaderName()} [{string.Join(", ", Shape)}] bytes {DataBegin}..{DataEnd}";
}
