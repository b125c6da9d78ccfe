using FedLlm.Data.Demo;
using FedLlm.Data.Formats;
using FedLlm.Data.Loading;
using FedLlm.Data.Model;
using FedLlm.Federation.Configuration;
using FedLlm.Training.Examples;

namespace FedLlm.Federation.Runs;

/// <summary>
/// The records a run reads, loaded before any model: <c>data.path</c> (or the demo tasks), and the optional
/// <c>data.eval_path</c> and <c>data.test_path</c> files, each checked against the run's method (SFT needs responses
/// or text, DPO needs preference pairs) so a wrong file fails with one line naming it.
/// </summary>
public sealed record RunRecords(IReadOnlyList<Example> Records, IReadOnlyList<Example>? EvalRecords, IReadOnlyList<Example>? TestRecords,
    IReadOnlyList<LoadReport> Reports)
{
    /// <summary>The demo tasks' generator seed: fixed, so every demo run sees the same records.</summary>
    public const ulong DemoSeed = 7;

    public static RunRecords Load(RunConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var data = config.Data;
        var reports = new List<LoadReport>();
        var options = new DatasetLoadOptions
        {
            RecordFormat = RecordFormats.Names.Parse(data.Format, "data.format"),
            BadRows = BadRowPolicies.Names.Parse(data.OnBadRow, "data.on_bad_row"),
        };
        IReadOnlyList<Example> records = data.Path is null
            ? DemoTasks.Generate(data.DemoRecords, DemoSeed)
            : LoadFile(data.Path, "data.path", options, config, reports, mustHaveRecords: true);
        var eval = data.EvalPath is null ? null : LoadFile(data.EvalPath, "data.eval_path", options, config, reports, mustHaveRecords: false);
        var test = data.TestPath is null ? null : LoadFile(data.TestPath, "data.test_path", options, config, reports, mustHaveRecords: false);
        return new RunRecords(records, eval, test, reports);
    }

    private static List<Example> LoadFile(string path, string key, DatasetLoadOptions options, RunConfig config, List<LoadReport> reports, bool mustHaveRecords)
    {
        var report = new LoadReport(path);
        reports.Add(report);
        var method = config.MethodKind;
        var examples = new List<Example>();
        foreach (var example in DatasetLoader.Stream(path, options, report))
        {
            if (TokenizedData.Misfit(method, example) is { } misfit)
                throw new ArgumentException($"{example.Metadata.Source ?? path} ({key}): {misfit} (format {report.Format})");
            examples.Add(example);
        }
        if (mustHaveRecords && examples.Count == 0) throw new ArgumentException($"{path} ({key}): no usable records ({report})");
        return examples;
    }
}
