using System.Globalization;

namespace FedLlm.Transport.Server;

/// <summary>
/// The encrypted aggregates of finished rounds, kept in the run folder (<c>aggregates/round-NNNN.he</c>) so members that
/// missed rounds, or a restarted server, can bring every member's global up to date. Ciphertexts only: public data.
/// </summary>
public sealed class EncryptedAggregateStore(string directory)
{
    private int _completedRounds;

    public string Directory { get; } = System.IO.Directory.CreateDirectory(directory).FullName;

    /// <summary>Rounds finished so far (aggregated or not); members catch up to this when the run is over.</summary>
    public int CompletedRounds
    {
        get => Volatile.Read(ref _completedRounds);
        set => Volatile.Write(ref _completedRounds, value);
    }

    /// <summary>Written before the round's checkpoint, so a checkpointed round always has its aggregate on disk.</summary>
    public void Save(int round, byte[] aggregate)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        string path = PathOf(round);
        string temporary = path + ".tmp";
        File.WriteAllBytes(temporary, aggregate);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Aggregated rounds in [<paramref name="from"/>, <paramref name="to"/>), oldest first (rounds below min_clients have none).</summary>
    public IEnumerable<(int Round, byte[] Aggregate)> Between(int from, int to)
    {
        for (int round = Math.Max(0, from); round < to; round++)
        {
            string path = PathOf(round);
            if (File.Exists(path)) yield return (round, File.ReadAllBytes(path));
        }
    }

    /// <summary>A fresh run in this folder: aggregates of an earlier attempt are removed.</summary>
    public void Clear()
    {
        foreach (string file in System.IO.Directory.EnumerateFiles(Directory, "round-*.he")) File.Delete(file);
        CompletedRounds = 0;
    }

    private string PathOf(int round) => Path.Combine(Directory, string.Create(CultureInfo.InvariantCulture, $"round-{round:D4}.he"));
}
