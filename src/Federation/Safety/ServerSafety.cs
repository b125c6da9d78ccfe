using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using FedLlm.Data.Loading;
using FedLlm.Data.Model;
using FedLlm.Evaluation.Metrics;
using FedLlm.Evaluation.Safety;
using FedLlm.Evaluation.Suites;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Foundation.Randomness;
using FedLlm.Generation;
using FedLlm.Models;
using FedLlm.Models.Lora;
using FedLlm.Synthesis.Safety;
using FedLlm.Training.Examples;
using FedLlm.Training.Sft;
using Microsoft.Extensions.AI;
using static TorchSharp.torch;

namespace FedLlm.Federation.Safety;

/// <summary>
/// What the server does for safety with the model it holds, in a simulation and a deployment alike (the run driver calls
/// it): the post-hoc defense (<c>defense:</c>, Ye et al. ICLR 2025: fine-tune the aggregated adapter on half aligned, half
/// normal samples) and the refusal evaluation (<c>evaluation.safety</c>: answers to harmful prompts sampled at the
/// paper's settings, scored by the refusal-substring rule and optionally a safe/unsafe judge).
/// </summary>
public sealed class ServerSafety(RunConfig config, PretrainedModel model, LoraAdapterSet adapters)
{
    public const string DefenseType = "defense";
    public const string SafetyType = "safety";
    public const string UndefendedAdapter = "adapter-undefended";
    public const string SafetyFile = "safety.json";

    /// <summary>Whether the config asks the server for anything this class does.</summary>
    public static bool Needed(RunConfig config) => config.Defense.Enabled || config.Evaluation.Safety.Enabled;

    /// <summary>The defense runs after the final round and, with <c>defense.every</c> R, after every R-th.</summary>
    public bool DefendsAfter(int round, bool last) =>
        config.Defense.Enabled && (last || (config.Defense.Every > 0 && (round + 1) % config.Defense.Every == 0));

    /// <summary>The global after the defense, and the metrics line that says what was done.</summary>
    public async Task<(float[] Defended, JsonObject Record)> DefendAsync(int round, float[] global, CancellationToken cancellation)
    {
        var defense = config.Defense;
        var clock = Stopwatch.StartNew();
        var (aligned, normal) = await SamplesAsync(round, global, cancellation);
        var tokenizer = RunSetup.CreateExampleTokenizer(model, config);
        var examples = TokenizedData.Tokenize(tokenizer, config.MethodKind, [.. aligned, .. normal]).Sequences;
        if (examples.Count == 0) throw new InvalidOperationException("defense: no sample is trainable after tokenization (check training.max_sequence_length)");

        ulong seed = SeedDerivation.Derive(config.Seed, "defense-training", round) & 0x7FFFFFFFFFFFFFFFUL;
        manual_seed(unchecked((long)seed)); // LoRA dropout draws from libtorch's global generator
        var options = config.Training.ToOptions(seed) with
        {
            LearningRate = defense.LearningRate ?? config.Training.LearningRate,
            MinLearningRate = 0,
            Schedule = Training.Optimization.ScheduleKind.Constant,
            WarmupSteps = 0,
            MaxSteps = defense.Steps,
            BatchSize = defense.BatchSize ?? config.Training.BatchSize,
        };
        adapters.Load(global);
        TrainingResult result;
        adapters.Training = true;
        try
        {
            using var trainer = new SftTrainer(adapters.Model, [.. adapters.Parameters.Select(p => p.Parameter)], options, model.PadId);
            result = trainer.Train(examples, cancellation: cancellation);
        }
        finally { adapters.Training = false; }
        var record = new JsonObject
        {
            ["type"] = DefenseType,
            ["round"] = round,
            ["level"] = defense.Level,
            ["aligned_samples"] = aligned.Count,
            ["normal_samples"] = normal.Count,
            ["trained_examples"] = examples.Count,
            ["steps"] = result.Steps,
            ["learning_rate"] = options.LearningRate,
            ["train_loss"] = result.MeanLoss,
            ["seconds"] = clock.Elapsed.TotalSeconds,
        };
        return (adapters.Flatten(), record);
    }

    /// <summary>
    /// Half aligned (harmful question → refusal), half normal samples. Level 1 reads both from files; levels 2 and 3 take
    /// the questions from the files' prompts when given (else ask the generator for them) and have the generator (2) or the
    /// aggregated model (3) answer them, aligned answers with the safety suffix.
    /// </summary>
    private async Task<(IReadOnlyList<Example> Aligned, IReadOnlyList<Example> Normal)> SamplesAsync(int round, float[] global, CancellationToken cancellation)
    {
        var defense = config.Defense;
        int half = defense.Samples / 2;
        if (defense.LevelKind == DefenseLevel.PublicData)
            return (Take(ReadPairs(defense.AlignedData!), half, "aligned"), Take(ReadPairs(defense.NormalData!), defense.Samples - half, "normal"));

        adapters.Load(global);
        using var generator = defense.LevelKind == DefenseLevel.Generator
            ? Generators.Create(defense.Generator!, "defense.generator.")
            : Generators.ForModel(model, config.Data.Template);
        ulong seed = SeedDerivation.Derive(config.Seed, "defense-samples", round);
        async Task<IReadOnlyList<Example>> Make(string? file, QuestionKind kind, int count, string suffix)
        {
            var questions = file is not null
                ? Take(ReadPairs(file), count, kind.ToString()).Select(PromptOf).ToList()
                : await SafetySamples.QuestionsAsync(generator, kind, count, seed + (ulong)kind * 1_000_003UL, cancellation);
            var pairs = await SafetySamples.AnswerAsync(generator, questions, suffix, defense.MaxNewTokens, seed, cancellation);
            return [.. pairs.Select(p => (Example)new InstructionExample(Conversation.SingleTurn(p.Instruction, p.Response),
                new ExampleMetadata { Origin = $"defense-level-{defense.Level}", Category = kind.ToString().ToLowerInvariant() }))];
        }
        return (await Make(defense.AlignedData, QuestionKind.Harmful, half, SafetySamples.SafetySuffix),
            await Make(defense.NormalData, QuestionKind.Normal, defense.Samples - half, ""));
    }

    /// <summary>The first <paramref name="count"/> of the run-seed shuffle of <paramref name="rows"/> (all of them when fewer).</summary>
    private IReadOnlyList<Example> Take(IReadOnlyList<Example> rows, int count, string purpose)
    {
        var shuffled = rows.ToArray();
        Xoshiro256StarStar.ForPurpose(config.Seed, "defense-" + purpose).Shuffle(shuffled.AsSpan());
        return shuffled.Take(count).ToList();
    }

    private static IReadOnlyList<Example> ReadPairs(string path) =>
        [.. DatasetLoader.Load<Example>(path).Examples.OfType<InstructionExample>().Where(e => e.HasResponse)];

    /// <summary>The last user turn of a record: the question it asks.</summary>
    public static string PromptOf(Example example) =>
        example is InstructionExample e ? e.Conversation.Turns.Last(t => t.Role == Role.User).Content
            : throw new ArgumentException($"{example.Metadata.Source}: not an instruction record");

    /// <summary>
    /// The refusal rate of <paramref name="weights"/> (null: the base, adapters off) on the configured harmful prompts, as a
    /// metrics line: rate and prompt count n, the judge's safe rate when configured, and every answer for inspection.
    /// </summary>
    public async Task<JsonObject> EvaluateAsync(int round, string modelLabel, float[]? weights, CancellationToken cancellation)
    {
        var safety = config.Evaluation.Safety;
        var prompts = SafetyPrompts(safety);
        var items = prompts.Select((p, i) => new EvalItem($"{i}", safety.Prompts!) { Prompt = p }).ToList();
        ulong seed = SeedDerivation.Derive(config.Seed, "safety-evaluation");
        IReadOnlyList<GeneratedAnswer> answers;
        if (weights is null) adapters.Enabled = false;
        else adapters.Load(weights);
        try
        {
            using var chat = Generators.ForModel(model, config.Data.Template);
            answers = await GeneratedAnswers.GenerateAsync(chat, items, safety.Temperature, safety.TopP, safety.MaxNewTokens, seed, cancellation);
        }
        finally { adapters.Enabled = true; }
        var (refused, records) = RefusalRateMetric.Classify(answers, items, RefusalSubstringClassifier.Instance);
        var record = new JsonObject
        {
            ["type"] = SafetyType,
            ["round"] = round,
            ["model"] = modelLabel,
            ["prompts"] = items.Count,
            ["refusal_rate"] = items.Count == 0 ? null : refused.Average(),
            ["refused"] = (int)refused.Sum(),
            ["errors"] = answers.Count(a => a.Error is not null),
            ["temperature"] = safety.Temperature,
            ["top_p"] = safety.TopP,
        };
        if (safety.Judge is not null)
        {
            using var judge = Generators.Create(safety.Judge, "evaluation.safety.judge.");
            var verdicts = await SafetyJudge.JudgeAsync(judge, [.. prompts.Select((p, i) => (p, answers[i].Text))], seed, cancellation);
            int judged = verdicts.Count(v => v is not null);
            record["judge_safe_rate"] = judged == 0 ? null : verdicts.Count(v => v == true) / (double)judged;
            record["judged"] = judged;
            for (int i = 0; i < records.Count; i++) records[i]["judge"] = verdicts[i] is bool safe ? (safe ? "safe" : "unsafe") : null;
        }
        for (int i = 0; i < records.Count; i++) records[i]["prompt"] = prompts[i];
        record["answers"] = new JsonArray([.. records]);
        return record;
    }

    private static List<string> SafetyPrompts(SafetyEvaluationSection safety)
    {
        var rows = DatasetLoader.Load<Example>(safety.Prompts!).Examples.Skip(safety.SkipPrompts);
        if (safety.MaxPrompts > 0) rows = rows.Take(safety.MaxPrompts);
        return [.. rows.Select(PromptOf)];
    }

    /// <summary>A short line for the console: "refusal 0.812 (n = 64)".</summary>
    public static string Describe(JsonObject record) =>
        string.Create(CultureInfo.InvariantCulture, $"{record["model"]}: refusal rate {record["refusal_rate"]?.GetValue<double>():0.000} (n = {record["prompts"]})") +
        (record["judge_safe_rate"] is JsonValue j ? string.Create(CultureInfo.InvariantCulture, $", judge safe rate {j.GetValue<double>():0.000}") : "");
}
