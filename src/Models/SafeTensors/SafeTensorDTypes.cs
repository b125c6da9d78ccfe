using TorchSharp;

namespace FedLlm.Models.SafeTensors;

/// <summary>Header names, element sizes and TorchSharp mappings of <see cref="SafeTensorDType"/>.</summary>
public static class SafeTensorDTypes
{
    // Header spellings as used by the reference implementation (huggingface/safetensors, Dtype enum).
    private static readonly Dictionary<string, SafeTensorDType> ByHeaderName = new(StringComparer.Ordinal)
    {
        ["BOOL"] = SafeTensorDType.Bool,
        ["U8"] = SafeTensorDType.UInt8,
        ["I8"] = SafeTensorDType.Int8,
        ["I16"] = SafeTensorDType.Int16,
        ["U16"] = SafeTensorDType.UInt16,
        ["F16"] = SafeTensorDType.Float16,
        ["BF16"] = SafeTensorDType.BFloat16,
        ["I32"] = SafeTensorDType.Int32,
        ["U32"] = SafeTensorDType.UInt32,
        ["F32"] = SafeTensorDType.Float32,
        ["F64"] = SafeTensorDType.Float64,
        ["I64"] = SafeTensorDType.Int64,
        ["U64"] = SafeTensorDType.UInt64,
        ["F8_E4M3"] = SafeTensorDType.Float8E4M3,
        ["F8_E5M2"] = SafeTensorDType.Float8E5M2,
    };

    private static readonly Dictionary<SafeTensorDType, string> HeaderNames =
        ByHeaderName.ToDictionary(pair => pair.Value, pair => pair.Key);

    /// <summary>All dtypes this implementation reads and writes (as raw bytes at least).</summary>
    public static IReadOnlyCollection<SafeTensorDType> All { get; } = HeaderNames.Keys.ToArray();

    /// <summary>The dtype's spelling in a safetensors header, e.g. "BF16".</summary>
    public static string ToHeaderName(this SafeTensorDType dtype) =>
        HeaderNames.TryGetValue(dtype, out string? name) ? name : throw Undefined(dtype);

    /// <summary>Parses a header spelling (case-sensitive, as the spec writes it).</summary>
    public static bool TryParseHeaderName(string headerName, out SafeTensorDType dtype) =>
        ByHeaderName.TryGetValue(headerName, out dtype);

    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.Bool or SafeTensorDType.UInt8 or SafeTensorDType.Int8
            or SafeTensorDType.Float8E4M3 or SafeTensorDType.Float8E5M2 => 1,
        SafeTensorDType.Int16 or SafeTensorDType.UInt16 or SafeTensorDType.Float16 or SafeTensorDType.BFloat16 => 2,
        SafeTensorDType.Int32 or SafeTensorDType.UInt32 or SafeTensorDType.Float32 => 4,
        SafeTensorDType.Int64 or SafeTensorDType.UInt64 or SafeTensorDType.Float64 => 8,
        _ => throw Undefined(dtype),
    };

    /// <summary>The TorchSharp scalar type holding this dtype, if TorchSharp 0.107 has one (it lacks U16/U32/U64/F8).</summary>
    public static bool TryToScalarType(this SafeTensorDType dtype, out torch.ScalarType scalarType)
    {
        scalarType = dtype switch
        {
            SafeTensorDType.Bool => torch.ScalarType.Bool,
            SafeTensorDType.UInt8 => torch.ScalarType.Byte,
            SafeTensorDType.Int8 => torch.ScalarType.Int8,
            SafeTensorDType.Int16 => torch.ScalarType.Int16,
            SafeTensorDType.Float16 => torch.ScalarType.Float16,
            SafeTensorDType.BFloat16 => torch.ScalarType.BFloat16,
            SafeTensorDType.Int32 => torch.ScalarType.Int32,
            SafeTensorDType.Float32 => torch.ScalarType.Float32,
            SafeTensorDType.Float64 => torch.ScalarType.Float64,
            SafeTensorDType.Int64 => torch.ScalarType.Int64,
            _ => (torch.ScalarType)(-1),
        };
        return (int)scalarType >= 0;
    }

    /// <summary>The TorchSharp scalar type for this dtype; throws <see cref="NotSupportedException"/> when TorchSharp has none.</summary>
    public static torch.ScalarType ToScalarType(this SafeTensorDType dtype) =>
        dtype.TryToScalarType(out torch.ScalarType scalarType)
            ? scalarType
            : throw new NotSupportedException(
                $"safetensors dtype {dtype.ToHeaderName()} has no TorchSharp scalar type; read it as raw bytes instead.");

    /// <summary>The safetensors dtype storing a TorchSharp scalar type, if there is one (complex and quantised types have none).</summary>
    public static bool TryFromScalarType(torch.ScalarType scalarType, out SafeTensorDType dtype)
    {
        SafeTensorDType? found = scalarType switch
        {
            torch.ScalarType.Bool => SafeTensorDType.Bool,
            torch.ScalarType.Byte => SafeTensorDType.UInt8,
            torch.ScalarType.Int8 => SafeTensorDType.Int8,
            torch.ScalarType.Int16 => SafeTensorDType.Int16,
            torch.ScalarType.Float16 => SafeTensorDType.Float16,
            torch.ScalarType.BFloat16 => SafeTensorDType.BFloat16,
            torch.ScalarType.Int32 => SafeTensorDType.Int32,
            torch.ScalarType.Float32 => SafeTensorDType.Float32,
            torch.ScalarType.Float64 => SafeTensorDType.Float64,
            torch.ScalarType.Int64 => SafeTensorDType.Int64,
            _ => null,
        };
        dtype = found.GetValueOrDefault();
        return found.HasValue;
    }

    /// <summary>The safetensors dtype storing a TorchSharp scalar type; throws <see cref="NotSupportedException"/> when there is none.</summary>
    public static SafeTensorDType FromScalarType(torch.ScalarType scalarType) =>
        TryFromScalarType(scalarType, out SafeTensorDType dtype)
            ? dtype
            : throw new NotSupportedException($"TorchSharp scalar type {scalarType} cannot be stored in a safetensors file.");

    private static ArgumentOutOfRangeException Undefined(SafeTensorDType dtype) =>
        new(nameof(dtype), dtype, "Not a defined SafeTensorDType.");
}
