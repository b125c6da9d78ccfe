using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using FedLlm.Foundation.Storage;

namespace FedLlm.Transport.Client;

/// <summary>
/// An encrypted run's member keeps its decrypted global and its copy of the server step's state (momentum, moments) on
/// its own disk, in one file so they never disagree, and a restarted member catches up from where it was. Layout:
/// "FLCG", version u16, rounds applied i32, run tag length u16, run tag (run name and settings digest, UTF-8), value
/// count i32, fp32 values, state length i32, state bytes, SHA-256 of everything before it. Written atomically, owner-only.
/// </summary>
public static class ClientGlobalFile
{
    private const ushort FormatVersion = 2;
    private static ReadOnlySpan<byte> Magic => "FLCG"u8;

    public static void Write(string path, string runTag, int roundsApplied, ReadOnlySpan<float> global, ReadOnlySpan<byte> strategyState)
    {
        byte[] tag = Encoding.UTF8.GetBytes(runTag);
        int header = 4 + 2 + 4 + 2 + tag.Length + 4;
        int valuesEnd = header + global.Length * sizeof(float);
        var bytes = new byte[valuesEnd + 4 + strategyState.Length + 32];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(6), roundsApplied);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(10), (ushort)tag.Length);
        tag.CopyTo(bytes.AsSpan(12));
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12 + tag.Length), global.Length);
        MemoryMarshal.AsBytes(global).CopyTo(bytes.AsSpan(header)); // little-endian hosts only, like VectorFile
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(valuesEnd), strategyState.Length);
        strategyState.CopyTo(bytes.AsSpan(valuesEnd + 4));
        SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32), bytes.AsSpan(bytes.Length - 32));
        // The member's decrypted global is what encryption keeps from everyone else: owner-only, like the key.
        AtomicFile.Write(path, bytes, ownerOnly: true);
    }

    /// <summary>The saved global and server-step state, or null if there is none.</summary>
    /// <exception cref="InvalidDataException">The file is damaged or belongs to another run.</exception>
    public static (int RoundsApplied, float[] Global, byte[] StrategyState)? Read(string path, string runTag, int expectedLength)
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
        int valuesEnd = header + count * sizeof(float);
        if (count != expectedLength || bytes.Length < valuesEnd + 4 + 32) throw Invalid(path, $"{count} values; the adapter has {expectedLength}");
        int stateLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(valuesEnd));
        if (stateLength < 0 || bytes.Length != valuesEnd + 4 + stateLength + 32) throw Invalid(path, "its server-step state is truncated");
        return (rounds, MemoryMarshal.Cast<byte, float>(bytes.AsSpan(header, count * sizeof(float))).ToArray(), bytes.AsSpan(valuesEnd + 4, stateLength).ToArray());
    }

    private static InvalidDataException Invalid(string path, string problem) => new($"{path}: member global: {problem}.");
}
