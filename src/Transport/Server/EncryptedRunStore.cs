using System.Globalization;
using System.Security.Cryptography;
using FedLlm.Foundation.Storage;

namespace FedLlm.Transport.Server;

/// <summary>
/// What an encrypted run keeps in <c>runs/NAME/encryption/</c>, all of it public: a random id for this attempt of the
/// run (members tag their saved key and global with it), the key check value the key holder announced, and one file per
/// finished round: its encrypted aggregate, or an empty file when the round did not aggregate. Members that missed
/// rounds, and a restarted server, bring every member's global up to date from these files.
/// </summary>
public sealed class EncryptedRunStore
{
    private const string RunIdFile = "run-id";
    private const string KeyCheckFile = "key-check";
    private readonly object _gate = new();
    private int _completedRounds;
    private (int Round, byte[] Aggregate)? _latest;

    private EncryptedRunStore(string directory, int completedRounds)
    {
        Directory = System.IO.Directory.CreateDirectory(directory).FullName;
        _completedRounds = completedRounds;
        string idFile = Path.Combine(Directory, RunIdFile);
        if (!File.Exists(idFile)) AtomicFile.Write(idFile, System.Text.Encoding.ASCII.GetBytes(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))));
        RunId = File.ReadAllText(idFile).Trim();
        string keyCheck = Path.Combine(Directory, KeyCheckFile);
        KeyCheck = File.Exists(keyCheck) ? File.ReadAllBytes(keyCheck) : [];
    }

    public string Directory { get; }

    public string RunId { get; }

    /// <summary>The run's key check value; empty until the key holder announces it.</summary>
    public byte[] KeyCheck { get; private set; }

    /// <summary>Rounds finished so far; members catch up to this when the run is over.</summary>
    public int CompletedRounds => Volatile.Read(ref _completedRounds);

    /// <summary>A fresh attempt: everything of an earlier one goes, with a new run id.</summary>
    public static EncryptedRunStore StartFresh(string directory)
    {
        if (System.IO.Directory.Exists(directory)) System.IO.Directory.Delete(directory, recursive: true);
        return new EncryptedRunStore(directory, 0);
    }

    /// <summary>
    /// Resumes after <paramref name="completedRounds"/> checkpointed rounds; files of later rounds (written before a crash
    /// that came ahead of their checkpoint) are removed, because those rounds run again.
    /// </summary>
    public static EncryptedRunStore Resume(string directory, int completedRounds)
    {
        var store = new EncryptedRunStore(directory, completedRounds);
        foreach (string file in System.IO.Directory.EnumerateFiles(store.Directory, "round-*.he"))
            if (RoundOf(file) >= completedRounds) File.Delete(file);
        return store;
    }

    /// <summary>Records the key check value once; false when a different one was recorded before.</summary>
    public bool TryRecordKeyCheck(byte[] keyCheck)
    {
        ArgumentNullException.ThrowIfNull(keyCheck);
        lock (_gate)
        {
            if (KeyCheck.Length > 0) return KeyCheck.AsSpan().SequenceEqual(keyCheck);
            AtomicFile.Write(Path.Combine(Directory, KeyCheckFile), keyCheck);
            KeyCheck = keyCheck;
            return true;
        }
    }

    /// <summary>Ends a round: its aggregate (null when it did not aggregate) goes to disk before the round's checkpoint.</summary>
    public void SaveRound(int round, byte[]? aggregate)
    {
        AtomicFile.Write(PathOf(round), aggregate ?? []);
        lock (_gate) _latest = aggregate is null ? null : (round, aggregate);
    }

    /// <summary>Marks a round as finished (after its checkpoint), so the run's end catches members up to it.</summary>
    public void Completed(int round) => Volatile.Write(ref _completedRounds, round + 1);

    /// <summary>The aggregates of rounds [<paramref name="from"/>, <paramref name="to"/>), oldest first; rounds that did not aggregate are skipped.</summary>
    /// <exception cref="InvalidDataException">A finished round has no file (the run folder lost it).</exception>
    public IEnumerable<(int Round, byte[] Aggregate)> Between(int from, int to)
    {
        for (int round = Math.Max(0, from); round < to; round++)
        {
            // Every member fetches the newest aggregate right after its round: serve that one from memory.
            (int Round, byte[] Aggregate)? latest;
            lock (_gate) latest = _latest;
            if (latest is var (cachedRound, cached) && cachedRound == round)
            {
                yield return (round, cached);
                continue;
            }
            string path = PathOf(round);
            if (!File.Exists(path)) throw new InvalidDataException($"{path} is missing: round {round + 1}'s aggregate is lost, members cannot catch up");
            byte[] aggregate = File.ReadAllBytes(path);
            if (aggregate.Length > 0) yield return (round, aggregate);
        }
    }

    private string PathOf(int round) => Path.Combine(Directory, string.Create(CultureInfo.InvariantCulture, $"round-{round:D4}.he"));

    private static int RoundOf(string file) =>
        int.Parse(Path.GetFileNameWithoutExtension(file).AsSpan("round-".Length), NumberStyles.None, CultureInfo.InvariantCulture);
}
