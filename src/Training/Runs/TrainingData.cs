using FedLlm.Data.Loading;
using FedLlm.Data.Model;

namespace FedLlm.Training.Runs;

/// <summary>
/// The records of one training run, split into what is trained on and what is held out. Read before the model is
/// loaded, so a malformed file fails fast (with <c>on_bad_row: fail</c>) or is summarised (with <c>skip</c>).
/// </summary>
public sealed record TrainingData(IReadOnlyList<Example> Train, IReadOnlyList<Example> HeldOut, IReadOnlyList<LoadReport> Reports)
{
    public long Skipped => Reports.Sum(r => r.Skipped);

    public static TrainingData Load(TrainConfig config)
    {
        var options = new DatasetLoadOptions
        {
            RecordFormat = TrainDataSection.ParseFormat(config.Data.Format),
            BadRows = TrainDataSection.ParseBadRowPolicy(config.Data.OnBadRow),
        };
        var train = LoadFile(config.Data.Path ?? throw new ArgumentException("data.path is required"), options, config.IsDpo, out var trainReport);
        if (train.Count == 0) throw new ArgumentException($"{config.Data.Path}: no usable records ({trainReport})");
        if (config.Data.EvalPath is { } evalPath)
        {
            var heldOut = LoadFile(evalPath, options, config.IsDpo, out var evalReport);
            return new TrainingData(train, heldOut, [trainReport, evalReport]);
        }
        var (kept, held) = HeldOutSplit.Split(train, config.Data.HeldOutFraction, config.Training.Seed);
        return new TrainingData(kept, held, [trainReport]);
    }

    private static List<Example> LoadFile(string path, DatasetLoadOptions options, bool preferences, out LoadReport report)
    {
        report = new LoadReport(path);
        var examples = new List<Example>();
        foreach (var example in DatasetLoader.Stream(path, options, report))
        {
            bool fits = preferences
                ? example is PreferenceExample
                : example is TextExample || example is InstructionExample { HasResponse: true };
            if (!fits)
                throw new ArgumentException(preferences
                    ? $"{example.Metadata.Source ?? path}: method dpo needs preference records (prompt, chosen, rejected); this file holds {Kind(example)} records (format {report.Format})"
                    : $"{example.Metadata.Source ?? path}: method sft needs instruction records with a response or text; this file holds {Kind(example)} records (format {report.Format})");
            examples.Add(example);
        }
        return examples;
    }

    private static string Kind(Example example) => example switch
    {
        PreferenceExample => "preference",
        InstructionExample { HasResponse: false } => "prompt-only",
        InstructionExample => "instruction",
        TextExample => "text",
        _ => example.GetType().Name,
    };
}
