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
    private const string CompleteMarker = "COMPLETE";

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

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string AdapterDirectory(int round) => File($"adapter-round-{round.ToString("D4", CultureInfo.InvariantCulture)}");

    public void AppendMetrics(JsonObject record)
    {
        Directory.CreateDirectory(Path);
        using var writer = System.IO.File.AppendText(MetricsFile);
        writer.WriteLine(record.ToJsonString());
    }

    /// <summary>Writes round <paramref name="round"/>'s checkpoint (with any extra files a transport keeps there) and returns its folder.</summary>
    public string WriteCheckpoint(int round, float[] global, ServerStrategy strategy, IReadOnlyDictionary<string, byte[]>? extraFiles = null)
    {
        string folder = Directory.CreateDirectory(System.IO.Path.Combine(CheckpointsDirectory, Name(round))).FullName;
        VectorFile.Write(System.IO.Path.Combine(folder, "global.bin"), global);
        using (var stream = System.IO.File.Create(System.IO.Path.Combine(folder, "strategy.bin"))) strategy.SaveState(stream);
        foreach (var (name, bytes) in extraFiles ?? new Dictionary<string, byte[]>()) AtomicFile.Write(System.IO.Path.Combine(folder, name), bytes);
        System.IO.File.WriteAllText(System.IO.Path.Combine(folder, CompleteMarker), round.ToString(CultureInfo.InvariantCulture));
        // Keep the two newest complete checkpoints: the newest may be mid-write when a kill arrives.
        foreach (var old in CompleteCheckpoints().Skip(2)) Directory.Delete(old.Folder, recursive: true);
        return folder;
    }

    /// <summary>
    /// Continues from the newest complete checkpoint: loads the strategy's state, drops metrics an interrupted round
    /// wrote after it, and returns the finished round, its global vector and the checkpoint's extra files; null when
    /// there is no checkpoint.
    /// </summary>
    public (int DoneRound, float[] Global, IReadOnlyDictionary<string, byte[]> ExtraFiles)? RestoreLatest(ServerStrategy strategy)
    {
        if (LatestCheckpoint() is not var (round, global, strategyFile)) return null;
        using (var stream = System.IO.File.OpenRead(strategyFile)) strategy.LoadState(stream);
        TruncateMetricsAfter(round);
        string folder = System.IO.Path.GetDirectoryName(strategyFile)!;
        var extras = Directory.EnumerateFiles(folder)
            .Where(f => System.IO.Path.GetFileName(f) is not ("global.bin" or "strategy.bin" or CompleteMarker))
            .ToDictionary(f => System.IO.Path.GetFileName(f), System.IO.File.ReadAllBytes);
        return (round, global, extras);
    }

    /// <summary>A fresh start in this folder: metrics of any earlier attempt are removed.</summary>
    public void StartFresh()
    {
        if (System.IO.File.Exists(MetricsFile)) System.IO.File.Delete(MetricsFile);
    }

    /// <summary>The newest complete checkpoint, or null when none exists.</summary>
    public (int Round, float[] Global, string StrategyFile)? LatestCheckpoint()
    {
        foreach (var (round, folder) in CompleteCheckpoints())
            return (round, VectorFile.Read(System.IO.Path.Combine(folder, "global.bin")), System.IO.Path.Combine(folder, "strategy.bin"));
        return null;
    }

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
            .Where(f => System.IO.File.Exists(System.IO.Path.Combine(f, CompleteMarker)))
            .Select(f => (Round: int.Parse(System.IO.Path.GetFileName(f)["round-".Length..], CultureInfo.InvariantCulture), Folder: f))
            .OrderByDescending(c => c.Round)
            .ToList();
    }

    private static string Name(int round) => $"round-{round.ToString("D6", CultureInfo.InvariantCulture)}";
}
