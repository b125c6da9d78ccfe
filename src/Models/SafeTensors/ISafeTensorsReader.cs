using TorchSharp;

namespace FedLlm.Models.SafeTensors;

/// <summary>Read access to named tensors stored in one safetensors file or a sharded set of them.</summary>
public interface ISafeTensorsReader : IDisposable
{
    IReadOnlyDictionary<string, SafeTensorInfo> Tensors { get; }

    bool Contains(string name);

    /// <summary>A new CPU tensor of the stored dtype and shape; the caller owns (disposes) it.</summary>
    torch.Tensor ReadTensor(string name);

    /// <summary>Copies the tensor's raw little-endian bytes into <paramref name="destination"/>, which must be exactly its byte length.</summary>
    void ReadBytes(string name, Span<byte> destination);
}
