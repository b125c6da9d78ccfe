using System.Globalization;
using FedLlm.Foundation.Storage;

namespace FedLlm.Federation.Client;

/// <summary>
/// Per-client vectors that persist across rounds (SCAFFOLD's c_i, a local-only client's adapter) kept on disk, not in
/// memory, so hundreds of clients fit. Each write is versioned by the round that produced it; reading for a round takes
/// the newest version from an earlier round, and resuming from a checkpoint deletes versions newer than it. A crash in
/// the middle of a round therefore never leaves a client's state ahead of the server's.
/// </summary>
public sealed class ClientStateStore(string directory)
{
    /// <summary>Created by the first write, so naming a store writes nothing.</summary>
    public string Directory { get; } = Path.GetFullPath(directory);

    /// <summary>The newest value of <paramref name="key"/> written in a round before <paramref name="round"/>, or null.</summary>
    public float[]? Read(int clientId, string key, int round)
    {
        var newest = Versions(clientId, key).Where(v => v.Round < round).OrderByDescending(v => v.Round).FirstOrDefault();
        return newest.Path is null ? null : VectorFile.Read(newest.Path);
    }

    /// <summary>The newest value of <paramref name="key"/> whatever its round, and that round; null when none was written.</summary>
    public (float[] Value, int Round)? ReadNewest(int clientId, string key)
    {
        var newest = Versions(clientId, key).OrderByDescending(v => v.Round).FirstOrDefault();
        return newest.Path is null ? null : (VectorFile.Read(newest.Path), newest.Round);
    }

    public void Write(int clientId, string key, int round, ReadOnlySpan<float> value)
    {
        string folder = System.IO.Directory.CreateDirectory(ClientFolder(clientId)).FullName;
        VectorFile.Write(Path.Combine(folder, $"{key}.r{round.ToString("D6", CultureInfo.InvariantCulture)}.bin"), value);
    }

    /// <summary>Deletes every version written after <paramref name="lastCompletedRound"/> (work of an interrupted round).</summary>
    public void RollBackTo(int lastCompletedRound)
    {
        if (!System.IO.Directory.Exists(Directory)) return;
        foreach (string file in System.IO.Directory.EnumerateFiles(Directory, "*.bin", SearchOption.AllDirectories))
            if (RoundOf(file) is int round && round > lastCompletedRound) File.Delete(file);
    }

    /// <summary>Keeps only each key's newest version at or before <paramref name="round"/> (and anything newer).</summary>
    public void Prune(int round)
    {
        if (!System.IO.Directory.Exists(Directory)) return;
        foreach (string folder in System.IO.Directory.EnumerateDirectories(Directory))
        {
            var files = System.IO.Directory.EnumerateFiles(folder, "*.bin")
                .Select(f => (Path: f, Key: KeyOf(f), Round: RoundOf(f)))
                .Where(f => f.Round is int r && r <= round)
                .GroupBy(f => f.Key);
            foreach (var group in files)
                foreach (var old in group.OrderByDescending(f => f.Round).Skip(1)) File.Delete(old.Path);
        }
    }

    private string ClientFolder(int clientId) => Path.Combine(Directory, clientId.ToString(CultureInfo.InvariantCulture));

    private IEnumerable<(string Path, int Round)> Versions(int clientId, string key)
    {
        string folder = ClientFolder(clientId);
        if (!System.IO.Directory.Exists(folder)) yield break;
        foreach (string file in System.IO.Directory.EnumerateFiles(folder, key + ".r*.bin"))
            if (KeyOf(file) == key && RoundOf(file) is int round) yield return (file, round);
    }

    private static string KeyOf(string file)
    {
        string name = Path.GetFileNameWithoutExtension(file);
        int marker = name.LastIndexOf(".r", StringComparison.Ordinal);
        return marker < 0 ? name : name[..marker];
    }

    private static int? RoundOf(string file)
    {
        string name = Path.GetFileNameWithoutExtension(file);
        int marker = name.LastIndexOf(".r", StringComparison.Ordinal);
        return marker >= 0 && int.TryParse(name.AsSpan(marker + 2), NumberStyles.None, CultureInfo.InvariantCulture, out int round) ? round : null;
    }
}
