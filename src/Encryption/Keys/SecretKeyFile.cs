using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using FedLlm.Foundation.Storage;
using FedLlm.Encryption.Homomorphic;

namespace FedLlm.Encryption.Keys;

/// <summary>
/// A member's copy of the shared HE secret key on its own disk (owner-only permissions), tagged with the run it belongs
/// to so a state folder reused for another run is not silently decrypting with a stale key.
/// Layout: tag length u16, tag (UTF-8), <see cref="HeSecretKey.Export"/> bytes.
/// </summary>
public static class SecretKeyFile
{
    public static void Write(string path, string runTag, HeSecretKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        byte[] tag = Encoding.UTF8.GetBytes(runTag);
        byte[] exported = key.Export();
        try
        {
            var contents = new byte[2 + tag.Length + exported.Length];
            BinaryPrimitives.WriteUInt16LittleEndian(contents, (ushort)tag.Length);
            tag.CopyTo(contents.AsSpan(2));
            exported.CopyTo(contents.AsSpan(2 + tag.Length));
            try
            {
                AtomicFile.Write(path, contents, ownerOnly: true);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(contents);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(exported);
        }
    }

    /// <summary>The saved key, or null if there is none.</summary>
    /// <exception cref="InvalidDataException">The file is damaged, made for other parameters, or for another run.</exception>
    public static HeSecretKey? Read(string path, string runTag, HeParameters parameters)
    {
        if (!File.Exists(path)) return null;
        byte[] contents = File.ReadAllBytes(path);
        try
        {
            if (contents.Length < 2) throw new InvalidDataException($"{path}: secret key file is empty");
            int tagLength = BinaryPrimitives.ReadUInt16LittleEndian(contents);
            if (contents.Length < 2 + tagLength) throw new InvalidDataException($"{path}: secret key file is truncated");
            string tag = Encoding.UTF8.GetString(contents, 2, tagLength);
            if (tag != runTag)
                throw new InvalidDataException($"{path}: the secret key belongs to run '{tag}', not '{runTag}'; use another state_directory or clear this one");
            try
            {
                return HeSecretKey.Import(contents.AsSpan(2 + tagLength), parameters);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{path}: {e.Message}", e);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(contents);
        }
    }
}
