using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using FedLlm.Foundation.Storage;

namespace FedLlm.Federation.Runs;

/// <summary>
/// The COMPLETE file of a checkpoint, written after every other file: the round, and the SHA-256 of each file, so a
/// checkpoint damaged after it was written (a full disk, a bad copy, a hand edit) is recognised and passed over.
/// </summary>
internal static class CheckpointMarker
{
    public const string FileName = "COMPLETE";

    public static void Write(string folder, int round)
    {
        var files = new JsonObject();
        foreach (string file in Directory.EnumerateFiles(folder).Where(f => Path.GetFileName(f) != FileName).Order(StringComparer.Ordinal))
            files[Path.GetFileName(file)] = Hash(file);
        var marker = new JsonObject { ["round"] = round, ["sha256"] = files };
        AtomicFile.Write(Path.Combine(folder, FileName), System.Text.Encoding.UTF8.GetBytes(marker.ToJsonString()));
    }

    /// <summary>Why the checkpoint in <paramref name="folder"/> cannot be trusted; null when every listed file is intact.</summary>
    public static string? Verify(string folder)
    {
        JsonObject? marker;
        try
        {
            marker = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, FileName))) as JsonObject;
        }
        catch (JsonException)
        {
            return "its COMPLETE marker is not readable";
        }
        if (marker?["sha256"] is not JsonObject files || files.Count == 0) return "its COMPLETE marker lists no files";
        foreach (var (name, expected) in files)
        {
            string path = Path.Combine(folder, Path.GetFileName(name));
            if (!File.Exists(path)) return $"{name} is missing";
            if (!string.Equals(Hash(path), expected?.GetValue<string>(), StringComparison.Ordinal)) return $"{name} does not match its recorded checksum";
        }
        return null;
    }

    private static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
