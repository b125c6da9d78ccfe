using System.Runtime.InteropServices;

namespace FedLlm.Federation.Strategies;

/// <summary>Raw little-endian vector I/O for strategy and client state: bit-exact, no text round-trips.</summary>
internal static class StateSerialization
{
    /// <summary>Writes the length (−1 for null) followed by the raw element bytes.</summary>
    public static void WriteVector<T>(BinaryWriter writer, T[]? vector)
        where T : unmanaged
    {
        EnsureLittleEndian();
        writer.Write(vector is null ? -1 : vector.Length);
        if (vector is not null)
        {
            writer.Write(MemoryMarshal.AsBytes(vector.AsSpan()));
        }
    }

    public static float[]? ReadSingleVector(BinaryReader reader, string what) => ReadVector<float>(reader, what);

    public static double[]? ReadDoubleVector(BinaryReader reader, string what) => ReadVector<double>(reader, what);

    private static T[]? ReadVector<T>(BinaryReader reader, string what)
        where T : unmanaged
    {
        EnsureLittleEndian();
        int length = reader.ReadInt32();
        if (length < -1)
        {
            throw new InvalidDataException($"Corrupt state: vector '{what}' has length {length}.");
        }
        if (length == -1)
        {
            return null;
        }
        long bytes = (long)length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if (reader.BaseStream.CanSeek && bytes > reader.BaseStream.Length - reader.BaseStream.Position)
        {
            throw new InvalidDataException(
                $"Truncated state: vector '{what}' needs {bytes} bytes, found {reader.BaseStream.Length - reader.BaseStream.Position}.");
        }
        var vector = new T[length];
        Span<byte> destination = MemoryMarshal.AsBytes(vector.AsSpan());
        int read = reader.BaseStream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
        if (read != destination.Length)
        {
            throw new InvalidDataException($"Truncated state: vector '{what}' needs {destination.Length} bytes, found {read}.");
        }
        return vector;
    }

    private static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("FedLlm state files are little-endian; big-endian hosts are not supported.");
        }
    }
}
