using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using TorchSharp;

namespace FedLlm.Models.SafeTensors;

/// <summary>
/// An open safetensors file (https://github.com/huggingface/safetensors#format): an 8-byte little-endian header length N,
/// N bytes of UTF-8 JSON header, then the data buffer. The header is fully validated on open; tensor bytes are read on demand
/// with positional reads straight into the destination, so reads may run concurrently.
/// </summary>
public sealed class SafeTensorsFile : ISafeTensorsReader
{
    /// <summary>Headers above this size are rejected, as the reference implementation does, to bound JSON parsing.</summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    private const int HeaderLengthPrefixBytes = 8;

    private readonly SafeFileHandle _handle;
    private bool _disposed;

    private SafeTensorsFile(string path, SafeFileHandle handle, long bufferStart,
        Dictionary<string, SafeTensorInfo> tensors, Dictionary<string, string> metadata)
    {
        Path = path;
        _handle = handle;
        BufferStart = bufferStart;
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    public IReadOnlyDictionary<string, SafeTensorInfo> Tensors { get; }

    /// <summary>The header's "__metadata__" map; empty when absent.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>File offset of the data buffer (8 + header length); tensor offsets are relative to it.</summary>
    public long BufferStart { get; }

    /// <summary>Opens and validates a safetensors file; format problems throw <see cref="SafeTensorsFormatException"/>.</summary>
    public static SafeTensorsFile Open(string path)
    {
        string fullPath = System.IO.Path.GetFullPath(path);
        SafeFileHandle handle = File.OpenHandle(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            long fileLength = RandomAccess.GetLength(handle);
            if (fileLength < HeaderLengthPrefixBytes)
                throw new SafeTensorsFormatException(fullPath, null,
                    $"the file is {fileLength} bytes, shorter than the 8-byte header length prefix.");

            Span<byte> prefix = stackalloc byte[HeaderLengthPrefixBytes];
            ReadExactly(handle, prefix, 0, fullPath, null);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLength > (ulong)(fileLength - HeaderLengthPrefixBytes))
                throw new SafeTensorsFormatException(fullPath, null,
                    $"the header length {headerLength} runs past the end of the {fileLength}-byte file.");
            if (headerLength > MaxHeaderBytes)
                throw new SafeTensorsFormatException(fullPath, null,
                    $"the header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit.");

            var header = new byte[headerLength];
            ReadExactly(handle, header, HeaderLengthPrefixBytes, fullPath, null);
            long bufferStart = HeaderLengthPrefixBytes + (long)headerLength;
            var (tensors, metadata) = SafeTensorsHeaderParser.Parse(fullPath, header, fileLength - bufferStart);
            return new SafeTensorsFile(fullPath, handle, bufferStart, tensors, metadata);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => Tensors.ContainsKey(name);

    /// <summary>Header entry of a tensor; throws <see cref="KeyNotFoundException"/> naming the file when absent.</summary>
    public SafeTensorInfo GetInfo(string name) =>
        Tensors.TryGetValue(name, out SafeTensorInfo? info)
            ? info
            : throw new KeyNotFoundException($"Tensor '{name}' is not in safetensors file '{Path}' ({Tensors.Count} tensors).");

    /// <summary>
    /// Reads a tensor into a new CPU tensor of the stored dtype and shape, filling its native storage directly from the file.
    /// Throws <see cref="NotSupportedException"/> for dtypes TorchSharp lacks (U16, U32, U64, F8); use <see cref="ReadBytes"/> for those.
    /// </summary>
    public torch.Tensor ReadTensor(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        SafeTensorInfo info = GetInfo(name);
        if (!info.DType.TryToScalarType(out torch.ScalarType scalarType))
            throw new NotSupportedException(
                $"Tensor '{name}' in '{Path}' has dtype {info.DType.ToHeaderName()}, which TorchSharp cannot hold; use ReadBytes.");

        torch.Tensor tensor = torch.empty(info.Shape.ToArray(), dtype: scalarType, device: torch.CPU);
        try
        {
            long fileOffset = BufferStart + info.DataBegin;
            TensorStorage.ForEachChunk(tensor, info.ByteLength,
                (chunk, byteOffset) => ReadExactly(_handle, chunk, fileOffset + byteOffset, Path, name));
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    public void ReadBytes(string name, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        SafeTensorInfo info = GetInfo(name);
        if (destination.Length != info.ByteLength)
            throw new ArgumentException(
                $"Tensor '{name}' in '{Path}' has {info.ByteLength} bytes but the destination holds {destination.Length}.",
                nameof(destination));
        ReadExactly(_handle, destination, BufferStart + info.DataBegin, Path, name);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _handle.Dispose();
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> destination, long fileOffset, string path, string? tensorName)
    {
        while (!destination.IsEmpty)
        {
            int read = RandomAccess.Read(handle, destination, fileOffset);
            if (read == 0)
                throw new SafeTensorsFormatException(path, tensorName,
                    $"the file ended at offset {fileOffset} while {destination.Length} more bytes were expected (truncated after opening?).");
            destination = destination[read..];
            fileOffset += read;
        }
    }
}
