using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FedLlm.Foundation.Storage;

/// <summary>
/// A flat fp32 vector on disk: magic, length, little-endian floats, and a 64-bit FNV-1a checksum, written through an
/// <see cref="AtomicFile"/> so a crash never leaves a half-written vector behind.
/// </summary>
public static class VectorFile
{
    private static readonly byte[] Magic = "FLVEC001"u8.ToArray();

    public static void Write(string path, ReadOnlySpan<float> values)
    {
        var bytes = MemoryMarshal.AsBytes(values);
        using var file = AtomicFile.Create(path);
        Span<byte> header = stackalloc byte[16];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], values.Length);
        file.Stream.Write(header);
        file.Stream.Write(bytes);
        Span<byte> checksum = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(checksum, Fnv1a(bytes));
        file.Stream.Write(checksum);
        file.Commit();
    }

    public static float[] Read(string path)
    {
        byte[] file;
        try { file = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { throw new FileNotFoundException($"{path}: vector file is missing", path); }
        if (file.Length < 24 || !file.AsSpan(0, 8).SequenceEqual(Magic))
            throw new InvalidDataException($"{path}: not a FedLlm vector file (bad header)");
        long length = BinaryPrimitives.ReadInt64LittleEndian(file.AsSpan(8));
        if (length < 0 || 16 + length * 4 + 8 != file.Length)
            throw new InvalidDataException($"{path}: truncated or corrupt vector file (header says {length} values, file has {file.Length} bytes)");
        var data = file.AsSpan(16, (int)length * 4);
        ulong expected = BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(16 + (int)length * 4));
        if (Fnv1a(data) != expected)
            throw new InvalidDataException($"{path}: checksum mismatch (the vector file is corrupt)");
        return MemoryMarshal.Cast<byte, float>(data).ToArray();
    }

    private static ulong Fnv1a(ReadOnlySpan<byte> bytes)
    {
        ulong hash = 14695981039346656037UL;
        foreach (byte b in bytes)
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }
        return hash;
    }
}
