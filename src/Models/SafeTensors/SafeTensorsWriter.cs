using System.Buffers;
using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;
using TorchSharp;

namespace FedLlm.Models.SafeTensors;

/// <summary>
/// Writes safetensors files: tensors sorted by name (ordinal) and packed back to back, header padded with spaces to a multiple
/// of 8 bytes so the data buffer starts 8-aligned. The file is written beside the target and renamed over it, so readers never
/// see a half-written file.
/// </summary>
public static class SafeTensorsWriter
{
    private const byte HeaderPadding = (byte)' ';
    private const int HeaderAlignment = 8;

    /// <summary>Writes TorchSharp tensors (any device, any layout); at most one contiguous CPU copy of one tensor exists at a time.</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, torch.Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var pending = new List<PendingTensor>();
        foreach (var (name, tensor) in tensors)
        {
            ArgumentNullException.ThrowIfNull(tensor, $"tensor '{name}'");
            if (!SafeTensorDTypes.TryFromScalarType(tensor.dtype, out SafeTensorDType dtype))
                throw new ArgumentException($"Tensor '{name}' has dtype {tensor.dtype}, which safetensors cannot store.", nameof(tensors));
            long byteLength = checked(tensor.numel() * dtype.ElementSize());
            pending.Add(new PendingTensor(name, dtype, tensor.shape, byteLength, stream => WriteTensorData(stream, tensor, byteLength)));
        }
        WriteFile(path, pending, metadata);
    }

    /// <summary>
    /// Writes raw tensors (for callers without TorchSharp tensors, and dtypes TorchSharp lacks); each entry's data must be
    /// exactly prod(shape) * element size bytes. Named apart from <see cref="Write"/> so collection expressions stay unambiguous.
    /// </summary>
    public static void WriteRaw(string path, IEnumerable<SafeTensorEntry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var pending = new List<PendingTensor>();
        foreach (SafeTensorEntry entry in entries)
        {
            long[] shape = entry.Shape.ToArray();
            if (shape.Any(dimension => dimension < 0))
                throw new ArgumentException($"Tensor '{entry.Name}' has a negative dimension in shape [{string.Join(", ", shape)}].", nameof(entries));
            long byteLength = checked(shape.Aggregate(1L, (count, dimension) => count * dimension) * entry.DType.ElementSize());
            if (entry.Data.Length != byteLength)
                throw new ArgumentException(
                    $"Tensor '{entry.Name}' has {entry.Data.Length} bytes of data but shape [{string.Join(", ", shape)}] of " +
                    $"{entry.DType.ToHeaderName()} needs {byteLength}.", nameof(entries));
            pending.Add(new PendingTensor(entry.Name, entry.DType, shape, byteLength, stream => stream.Write(entry.Data.Span)));
        }
        WriteFile(path, pending, metadata);
    }

    private sealed record PendingTensor(string Name, SafeTensorDType DType, long[] Shape, long ByteLength, Action<Stream> WriteData);

    private static void WriteTensorData(Stream stream, torch.Tensor tensor, long byteLength)
    {
        using var noGrad = torch.no_grad();
        bool onCpu = tensor.device_type == DeviceType.CPU;
        torch.Tensor cpu = onCpu ? tensor : tensor.cpu();
        try
        {
            bool contiguous = cpu.is_contiguous();
            torch.Tensor packed = contiguous ? cpu : cpu.contiguous();
            try
            {
                TensorStorage.ForEachChunk(packed, byteLength, (chunk, _) => stream.Write(chunk));
            }
            finally
            {
                if (!contiguous) packed.Dispose();
            }
        }
        finally
        {
            if (!onCpu) cpu.Dispose();
        }
    }

    private static void WriteFile(string path, List<PendingTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        tensors.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        for (int i = 0; i < tensors.Count; i++)
        {
            if (tensors[i].Name == SafeTensorsHeaderParser.MetadataKey)
                throw new ArgumentException($"'{SafeTensorsHeaderParser.MetadataKey}' is reserved and cannot name a tensor.", nameof(tensors));
            if (i > 0 && tensors[i].Name == tensors[i - 1].Name)
                throw new ArgumentException($"Tensor name '{tensors[i].Name}' appears twice.", nameof(tensors));
        }
        byte[] header = BuildHeader(tensors, metadata);

        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(directory);
        string temporaryPath = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporaryPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                Span<byte> prefix = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
                stream.Write(prefix);
                stream.Write(header);
                foreach (PendingTensor tensor in tensors)
                {
                    long before = stream.Position;
                    tensor.WriteData(stream);
                    if (stream.Position - before != tensor.ByteLength)
                        throw new InvalidOperationException(
                            $"Tensor '{tensor.Name}' wrote {stream.Position - before} bytes instead of {tensor.ByteLength} (was it resized while writing?).");
                }
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporaryPath, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(temporaryPath);
            throw;
        }
    }

    private static byte[] BuildHeader(List<PendingTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        // The header is never embedded in HTML, so non-ASCII names can stay as plain UTF-8 instead of \u escapes.
        var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using (var json = new Utf8JsonWriter(buffer, options))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(SafeTensorsHeaderParser.MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(pair => pair.Key, StringComparer.Ordinal))
                {
                    if (value is null) throw new ArgumentException($"Metadata value for key '{key}' is null.", nameof(metadata));
                    json.WriteString(key, value);
                }
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (PendingTensor tensor in tensors)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.DType.ToHeaderName());
                json.WriteStartArray("shape");
                foreach (long dimension in tensor.Shape) json.WriteNumberValue(dimension);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + tensor.ByteLength);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += tensor.ByteLength;
            }
            json.WriteEndObject();
        }
        int padding = (HeaderAlignment - buffer.WrittenCount % HeaderAlignment) % HeaderAlignment;
        var header = new byte[buffer.WrittenCount + padding];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill(HeaderPadding);
        return header;
    }
}
