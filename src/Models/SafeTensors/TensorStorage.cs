using TorchSharp;

namespace FedLlm.Models.SafeTensors;

/// <summary>Receives one slice of a tensor's storage and the slice's byte offset within the tensor.</summary>
internal delegate void StorageChunkAction(Span<byte> chunk, long byteOffset);

/// <summary>Direct access to the native storage of a contiguous CPU tensor, without managed copies.</summary>
internal static class TensorStorage
{
    // Tensor.bytes is a Span, so one view can cover at most int.MaxValue bytes; larger tensors are visited in 1 GiB slices.
    private const long MaxChunkBytes = 1L << 30;

    /// <summary>Calls <paramref name="action"/> on consecutive spans that together cover the tensor's bytes in row-major order.</summary>
    public static void ForEachChunk(torch.Tensor contiguousCpuTensor, long byteLength, StorageChunkAction action)
    {
        if (byteLength <= MaxChunkBytes)
        {
            action(contiguousCpuTensor.bytes, 0);
            return;
        }
        long elementSize = contiguousCpuTensor.ElementSize;
        long elementsPerChunk = MaxChunkBytes / elementSize;
        long elementCount = byteLength / elementSize;
        using torch.Tensor flat = contiguousCpuTensor.view(-1);
        for (long start = 0; start < elementCount; start += elementsPerChunk)
        {
            // narrow() shares storage, and Tensor.bytes honours the view's storage offset (checked in the tests).
            using torch.Tensor slice = flat.narrow(0, start, Math.Min(elementsPerChunk, elementCount - start));
            action(slice.bytes, start * elementSize);
        }
    }
}
