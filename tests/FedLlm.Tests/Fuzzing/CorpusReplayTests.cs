using FedLlm.Fuzz.Targets;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Fuzzing;

/// <summary>
/// Replays the fuzzers' files through the same entry points afl drives (fuzz/FedLlm.Fuzz.Targets): every seed in
/// fuzz/corpus/TARGET must be accepted (they are small valid inputs, so the harness really reaches the parser's depth),
/// and every input in fuzz/findings-regressions/TARGET, each once a crash, must now be accepted or refused as bad input.
/// </summary>
public sealed class CorpusReplayTests
{
    private static readonly string FuzzFolder = Path.Combine(SharedData.RepositoryRoot, "fuzz");

    public static TheoryData<string> Targets() => [.. FuzzTargets.All.Select(target => target.Name)];

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_seed_is_accepted(string name)
    {
        var target = FuzzTargets.Find(name)!;
        var seeds = FilesOf("corpus", name);
        Assert.NotEmpty(seeds);
        using var scratch = new ScratchDirectory();
        var refused = seeds.Where(seed => !target.Run(File.ReadAllBytes(seed), scratch)).Select(Path.GetFileName).ToList();
        Assert.True(refused.Count == 0, $"seeds refused as bad input: {string.Join(", ", refused)}");
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_former_crash_is_now_accepted_or_refused(string name)
    {
        var target = FuzzTargets.Find(name)!;
        using var scratch = new ScratchDirectory();
        var failures = new List<string>();
        foreach (string input in FilesOf("findings-regressions", name))
        {
            try { target.Run(File.ReadAllBytes(input), scratch); }
            catch (Exception e) { failures.Add($"{Path.GetFileName(input)}: {e.GetType().Name}: {e.Message}"); }
        }
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public void Every_corpus_folder_belongs_to_a_target()
    {
        var folders = new[] { "corpus", "findings-regressions" }
            .Select(kind => Path.Combine(FuzzFolder, kind))
            .Where(Directory.Exists)
            .SelectMany(Directory.GetDirectories)
            .Select(Path.GetFileName);
        Assert.All(folders, folder => Assert.NotNull(FuzzTargets.Find(folder!)));
    }

    private static List<string> FilesOf(string kind, string target)
    {
        string folder = Path.Combine(FuzzFolder, kind, target);
        return Directory.Exists(folder) ? [.. Directory.GetFiles(folder).Order(StringComparer.Ordinal)] : [];
    }
}
