using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FedLlm.Foundation.Storage;
using FedLlm.Federation.Strategies;

namespace FedLlm.Federation.Runs;

/// <summary>
/// The files of one run: config, split, metrics (JSONL), checkpoints, adapters, report. A checkpoint is complete only
/// once its COMPLETE marker exists, written last, so a run killed while checkpointing resumes from the previous one.
/// Naming a folder creates nothing: the folder appears with the first file a run writes, after every check passed.
/// </summary>
public sealed class RunDirectory(string path)
{
    private FileStream? _lock;

    private const string GlobalFile = "global.bin";
    private const string StrategyFile = "strategy.bin";

    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <summary>Members of the federation as the run saw them (names, record counts).</summary>
    public string MembersFile => File("members.json");
    public string ConfigFile => File("config.json");
    public string SplitFile => File("split.json");
    public string MetricsFile => File("metrics.jsonl");
    public string ClientStateDirectory => File("client-state");
    public string CheckpointsDirectory => File("checkpoints");
    public string FinalAdapterDirectory => File("adapter");
    public string ReportFile => File("report.md");

    public string LockFile => File("run.lock");

    /// <summary>
    /// Takes the folder for this process: a second server or simulation on the same folder is refused instead of
    /// interleaving its writes with ours. The OS releases the lock when the process ends, however it ends. Taking it
    /// again through the same instance is a no-op.
    /// </summary>
    /// <returns>True when this call took the lock (and its caller should <see cref="Unlock"/>), false when it was held already.</returns>
    /// <exception cref="RunFolderInUseException">Another process holds the folder.</exception>
    public bool Lock()
    {
        if (_lock is not null) return false;
        Directory.CreateDirectory(Path);
        try
        {
            // FileShare.None is an exclusive advisory lock (flock) on Unix and a sharing lock on Windows.
            _lock = new FileStream(LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new RunFolderInUseException($"{Path} is in use by another fedllm process (it holds run.lock); wait for it to end or use another run name", e);
        }
        return true;
    }

    /// <summary>Releases <see cref="Lock"/>.</summary>
    public void Unlock()
    {
        _lock?.Dispose();
        _lock = null;
    }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string AdapterDirectory(int round) => File($"adapter-round-{round.ToString("D4", CultureInfo.InvariantCulture)}");

    public void AppendMetrics(JsonObject record)
    {
        Directory.CreateDirectory(Path);
        using var writer = System.IO.File.AppendText(MetricsFile);
        writer.WriteLine(record.ToJsonString());
    }

    /// <summary>
    /// Writes round <paramref name="round"/>'s checkpoint (with any extra files a transport keeps there) and returns its
    /// folder. The COMPLETE marker, written last, lists every file's SHA-256, so a damaged checkpoint is recognised.
    /// </summary>
    public string WriteCheckpoint(int round, float[] global, ServerStrategy strategy, IReadOnlyDictionary<string, byte[]>? extraFiles = null)
    {
        string folder = Directory.CreateDirectory(System.IO.Path.Combine(CheckpointsDirectory, Name(round))).FullName;
        VectorFile.Write(System.IO.Path.Combine(folder, GlobalFile), global);
        using (var stream = System.IO.File.Create(System.IO.Path.Combine(folder, StrategyFile))) strategy.SaveState(stream);
        foreach (var (name, bytes) in extraFiles ?? new Dictionary<string, byte[]>()) AtomicFile.Write(System.IO.Path.Combine(folder, name), bytes);
        CheckpointMarker.Write(folder, round);
        // Keep the two newest complete checkpoints: the newest may be mid-write when a kill arrives, or damaged later.
        foreach (var old in CompleteCheckpoints().Skip(2)) Directory.Delete(old.Folder, recursive: true);
        return folder;
    }

    /// <summary>
    /// Continues from the newest intact checkpoint: loads the strategy's state, drops metrics written after it, and
    /// returns the finished round, its global vector, the checkpoint's extra files and the newer checkpoints that were
    /// passed over as damaged (a warning for the console); null when there is no intact checkpoint.
    /// </summary>
    public RestoredCheckpoint? RestoreLatest(ServerStrategy strategy)
    {
        var (latest, damaged) = FindCheckpoint();
        if (latest is null) return null;
        using (var stream = System.IO.File.OpenRead(System.IO.Path.Combine(latest.Folder, StrategyFile))) strategy.LoadState(stream);
        TruncateMetricsAfter(latest.Round);
        var extras = Directory.EnumerateFiles(latest.Folder)
            .Where(f => System.IO.Path.GetFileName(f) is not (GlobalFile or StrategyFile or CheckpointMarker.FileName))
            .ToDictionary(f => System.IO.Path.GetFileName(f), System.IO.File.ReadAllBytes);
        return new RestoredCheckpoint(latest.Round, VectorFile.Read(System.IO.Path.Combine(latest.Folder, GlobalFile)), extras, damaged);
    }

    /// <summary>
    /// A fresh start in this folder: the records of any earlier attempt (metrics, checkpoints, adapters, member table,
    /// report) are removed, so nothing of it can be mistaken for this run's. The server's event log stays.
    /// </summary>
    public void StartFresh()
    {
        foreach (string file in new[] { MetricsFile, MembersFile, ReportFile })
            if (System.IO.File.Exists(file)) System.IO.File.Delete(file);
        if (!Directory.Exists(Path)) return;
        foreach (string folder in Directory.EnumerateDirectories(Path, "adapter*").Append(CheckpointsDirectory).Where(Directory.Exists))
            Directory.Delete(folder, recursive: true);
    }

    /// <summary>True when an earlier run left a complete checkpoint here (intact or not).</summary>
    public bool HasCheckpoints => CompleteCheckpoints().Any();

    /// <summary>
    /// The newest checkpoint whose files all match the checksums its marker recorded, and why each newer complete one was
    /// passed over. Reads only.
    /// </summary>
    public (CheckpointInfo? Latest, IReadOnlyList<string> Damaged) FindCheckpoint()
    {
        var damaged = new List<string>();
        foreach (var (round, folder) in CompleteCheckpoints())
        {
            if (CheckpointMarker.Verify(folder) is { } problem)
            {
                damaged.Add($"checkpoint {System.IO.Path.GetFileName(folder)}: {problem}");
                continue;
            }
            return (new CheckpointInfo(round, folder), damaged);
        }
        return (null, damaged);
    }

    /// <summary>The newest intact checkpoint, or null when none exists.</summary>
    public CheckpointInfo? LatestCheckpoint() => FindCheckpoint().Latest;

    /// <summary>
    /// Truncates metrics written after <paramref name="round"/> (by an interrupted round) so resumed metrics do not repeat.
    /// A line cut short by the kill is dropped too.
    /// </summary>
    public void TruncateMetricsAfter(int round)
    {
        if (!System.IO.File.Exists(MetricsFile)) return;
        var kept = ReadMetrics().Where(m => m["round"]?.GetValue<int>() is int r && r <= round).Select(m => m.ToJsonString()).ToList();
        System.IO.File.WriteAllLines(MetricsFile, kept);
    }

    /// <summary>The metrics lines in order; a line that is not a complete JSON object (a write cut short by a kill) is skipped.</summary>
    public IEnumerable<JsonObject> ReadMetrics()
    {
        if (!System.IO.File.Exists(MetricsFile)) yield break;
        foreach (string line in System.IO.File.ReadLines(MetricsFile))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonObject? record;
            try { record = JsonNode.Parse(line) as JsonObject; }
            catch (JsonException) { continue; }
            if (record is not null) yield return record;
        }
    }

    public void WriteJson(string file, JsonNode node)
    {
        Directory.CreateDirectory(Path);
        AtomicFile.Write(File(file), System.Text.Encoding.UTF8.GetBytes(node.ToJsonString(new JsonSerializerOptions { WriteIndented = true })));
    }

    private IEnumerable<(int Round, string Folder)> CompleteCheckpoints()
    {
        if (!Directory.Exists(CheckpointsDirectory)) return [];
        return Directory.EnumerateDirectories(CheckpointsDirectory, "round-*")
            .Where(f => System.IO.File.Exists(System.IO.Path.Combine(f, CheckpointMarker.FileName)))
            .Select(f => (Round: int.Parse(System.IO.Path.GetFileName(f)["round-".Length..], CultureInfo.InvariantCulture), Folder: f))
            .OrderByDescending(c => c.Round)
            .ToList();
    }

    internal static string Name(int round) => $"round-{round.ToString("D6", CultureInfo.InvariantCulture)}";
}

/// <summary>A complete checkpoint: the round it finished and its folder.</summary>
public sealed record CheckpointInfo(int Round, string Folder);

/// <summary>What <see cref="RunDirectory.RestoreLatest"/> restored, and the damaged newer checkpoints it passed over.</summary>
public sealed record RestoredCheckpoint(int DoneRound, float[] Global, IReadOnlyDictionary<string, byte[]> ExtraFiles, IReadOnlyList<string> Damaged);

/// <summary>The run folder is held by another process.</summary>
public sealed class RunFolderInUseException(string message, Exception inner) : IOException(message, inner);
