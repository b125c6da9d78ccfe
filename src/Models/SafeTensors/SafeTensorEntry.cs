namespace FedLlm.Models.SafeTensors;

/// <summary>A tensor given as raw little-endian, row-major bytes, for writers that do not hold TorchSharp tensors.</summary>
public sealed record SafeTensorEntry(string Name, SafeTensorDType DType, IReadOnlyList<long> Shape, ReadOnlyMemory<byte> Data);
