namespace FedLlm.Models.SafeTensors;

/// <summary>
/// Element types of the safetensors format. Each member's header spelling ("F32", "BF16", ...) is given by
/// <see cref="SafeTensorDTypes.ToHeaderName"/>; data is always little-endian.
/// </summary>
public enum SafeTensorDType
{
    Bool,
    UInt8,
    Int8,
    Int16,
    UInt16,
    Float16,
    BFloat16,
    Int32,
    UInt32,
    Float32,
    Float64,
    Int64,
    UInt64,

    /// <summary>8-bit float, 4 exponent / 3 mantissa bits. Raw bytes only: TorchSharp 0.107 has no such scalar type.</summary>
    Float8E4M3,

    /// <summary>8-bit float, 5 exponent / 2 mantissa bits. Raw bytes only: TorchSharp 0.107 has no such scalar type.</summary>
    Float8E5M2,
}
