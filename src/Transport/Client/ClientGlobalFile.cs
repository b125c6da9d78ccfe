using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using FedLlm.Foundation.Storage;

namespace FedLlm.Transport.Client;

/// <summary>
/// An encrypted run's member keeps its decrypted global on its own disk, so a restarted member catches up from where it
/// was. Layout: "FLCG", version u16, rounds applied i32, run tag length u16, run tag (run name and settings digest,
/// UTF-8), value count i32, fp32 values, SHA-256 of everything before it. Written atomically, owner-only.
/// </summary>
public static class ClientGlobalFile
{
    private const ushort FormatVersion = 1;
    private static ReadOnlySpan<byte> Magic => "FLCG"u8;

    public static void Write(string path, string runTag, int roundsApplied, ReadOnlySpan<float> global)
    {
        byte[] tag = Encoding.UTF8.GetBytes(runTag);
        int header = 4 + 2 + 4 + 2 + tag.Length + 4;
        var bytes = new byte[header + global.Length * sizeof(float) + 32];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(6), roundsApplied);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(10), (ushort)tag.Length);
        tag.CopyTo(bytes.AsSpan(12));
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12 + tag.Length), global.Length);
        MemoryMarshal.AsBytes(global).CopyTo(bytes.AsSpan(header)); // little-endian hosts only, like VectorFile
        SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32), bytes.AsSpan(bytes.Length - 32));
        // The member's decrypted global is what encryption keeps from everyone else: owner-only, like the key.
        AtomicFile.Write(path, bytes, ownerOnly: true);
    }

    /// <summary>The saved global, or null if there is none.</summary>
    /// <exception cref="InvalidDataException">The file is damaged or belongs to another run.</exception>
    public static (int RoundsApplied, float[] Global)? Read(string path, string runTag, int expectedLength)
    {
        if (!File.Exists(path)) return null;
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 12 + 4 + 32 || !bytes.AsSpan(0, 4).SequenceEqual(Magic)) throw Invalid(path, "missing \"FLCG\" header");
        if (!SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32)).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - 32)))
            throw Invalid(path, "checksum mismatch (damaged)");
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(4));
        if (version != FormatVersion) throw Invalid(path, $"format version {version} is not supported");
        int rounds = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(6));
        int tagLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(10));
        string tag = Encoding.UTF8.GetString(bytes, 12, tagLength);
        if (tag != runTag) throw Invalid(path, $"it belongs to run '{tag}', not '{runTag}'; use another state_directory or clear this one");
        int count = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(12 + tagLength));
        int header = 12 + tagLength + 4;
        if (count != expectedLength || bytes.Length != header + count * sizeof(float) + 32)
            throw Invalid(path, $"{count} values; the adapter has {expectedLength}");
        return (rounds, MemoryMarshal.Cast<byte, float>(bytes.AsSpan(header, count * sizeof(float))).ToArray());
    }

    private static InvalidDataException Invalid(string path, string problem) => new($"{path}: member global: {problem}.");
}
