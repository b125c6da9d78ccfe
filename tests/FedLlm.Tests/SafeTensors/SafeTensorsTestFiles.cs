using System.Buffers.Binary;
using System.Text;

namespace FedLlm.Tests.SafeTensors;

/// <summary>Builds safetensors files byte by byte, so tests control every field (including broken ones).</summary>
internal static class SafeTensorsTestFiles
{
    /// <summary>8-byte little-endian length (the real header length unless <paramref name="declaredHeaderLength"/> overrides it), header, buffer.</summary>
    public static byte[] Build(byte[] header, byte[] buffer, ulong? declaredHeaderLength = null)
    {
        var bytes = new byte[8 + header.Length + buffer.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredHeaderLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        buffer.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    public static byte[] Build(string headerJson, byte[] buffer) => Build(Encoding.UTF8.GetBytes(headerJson), buffer);

    public static string Write(string path, string headerJson, byte[] buffer)
    {
        File.WriteAllBytes(path, Build(headerJson, buffer));
        return path;
    }
}
