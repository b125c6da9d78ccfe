using System.Runtime.InteropServices;

namespace FedLlm.Federation.Strategies;

/// <summary>Raw little-endian vector I/O for strategy and client state: bit-exact, no text round-trips.</summary>
internal static class StateSerialization
{
    public static void WriteVector(BinaryWriter writer, float[]? vector)
    {
        EnsureLittleEndian();
        writer.Write(vector is null ? -1 : vector.Length);
        if (vector is not null)
        {
            writer.Write(MemoryMarshal.AsBytes(vector.AsSpan()));
        }
    }

    public static void WriteVector(BinaryWriter writer, double[]? vector)
    {
        EnsureLittleEndian();
        writer.Write(vector is null ? -1 : vector.Length);
        if (vector is not null)
        {
            writer.Write(MemoryMarshal.AsBytes(vector.AsSpan()));
        }
    }

    public static float[]? ReadSingleVector(BinaryReader reader, string what)
    {
        int length = ReadLength(reader, what);
        if (length < 0)
        {
            return null;
        }
        var vector = new float[length];
        ReadExactly(reader, MemoryMarshal.AsBytes(vector.AsSpan()), what);
        return vector;
    }

    public static double[]? ReadDoubleVector(BinaryReader reader, string what)
    {
        int length = ReadLength(reader, what);
        if (length < 0)
        {
            return null;
        }
        var vector = new double[length];
        ReadExactly(reader, MemoryMarshal.AsBytes(vector.AsSpan()), what);
        return vector;
    }

    private static int ReadLength(BinaryReader reader, string what)
    {
        EnsureLittleEndian();
        int length = reader.ReadInt32();
        if (length < -1)
        {
            throw new InvalidDataException($"Corrupt state: vector '{what}' has length {length}.");
        }
        return length;
    }

    private static void ReadExactly(BinaryReader reader, Span<byte> destination, string what)
    {
        int read = reader.BaseStream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
        if (read != destination.Length)
        {
            throw new InvalidDataException($"Truncated state: vector '{what}' needs {destination.Length} bytes, found {read}.");
        }
    }

    private static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("FedLlm state files are little-endian; big-endian hosts are not supported.");
        }
    }
}
