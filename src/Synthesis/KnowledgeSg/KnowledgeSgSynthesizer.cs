using System.Globalization;
using System.Text.RegularExpressions;
using FedLlm.Foundation.Randomness;
using FedLlm.Synthesis.Output;
using FedLlm.Synthesis.Parsing;
using FedLlm.Synthesis.Pipelines;
using FedLlm.Synthesis.Prompts;
using FedLlm.Synthesis.Similarity;
using Microsoft.Extensions.AI;

namespace FedLlm.Synthesis.KnowledgeSg;

/// <summary>
/// KnowledgeSG's server stage (Wang et al., EMNLP 2024, arXiv 2410.05725). The DP model (the base with the client's
/// DP-trained adapter) continues k-shot prompts of PUBLIC seed instructions, never private data (the seed code's ICL
/// variants took shots from private data: caveat (b) of the research notes); each continuation is cut at the next
/// example marker; instructions too close to a seed (TF-IDF &gt; 0.52), of at most one word, or repeating an earlier one
/// are dropped; the professional model optionally grades them, then answers them. Nothing here sees the client's data:
/// whatever the instructions reveal is post-processing of the DP adapter, under its ε.
/// </summary>
public sealed partial class KnowledgeSgSynthesizer(IChatClient dpModel, IChatClient professional, KnowledgeSgOptions options)
{
    public const string Origin = "knowledgesg";
    private const string NextExample = "###example";

    [GeneratedRegex(@"\b((?:10|[1-9])(?:\.\d+)?)\b", RegexOptions.CultureInvariant)]
    private static partial Regex Grade();

    /// <param name="seeds">Public seed instructions (e.g. Alpaca's), the only examples the DP model is shown.</param>
    public async Task<SynthesisResult> RunAsync(IReadOnlyList<string> seeds, ulong seed, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        if (seeds.Count == 0) throw new SynthesisException("knowledgesg: no public seed instructions");
        var tally = new SynthesisTally { Prompts = options.Prompts };
        var generations = await GenerationBatch.GenerateAsync(dpModel, Prompts(seeds, seed), options.Sampling, seed, Origin + "-instructions",
            stops: [NextExample], cancellation: cancellation).ConfigureAwait(false);
        var instructions = Filter(Instructions(generations, tally), seeds, tally);
        if (options.Grade) instructions = await GradedAsync(instructions, seed, tally, cancellation).ConfigureAwait(false);
        if (instructions.Count == 0) throw Parsed.NothingKept(Origin, tally);

        var answerPrompt = PromptTemplate.Load(options.AnswerPrompt);
        var answers = await GenerationBatch.GenerateAsync(professional,
            [.. instructions.Select(i => answerPrompt.Render(new Dictionary<string, string> { ["instruction"] = i.Text }))],
            options.AnswerSampling, seed, Origin + "-answers", cancellation: cancellation).ConfigureAwait(false);
        var rows = new List<SyntheticExample>();
        for (int i = 0; i < instructions.Count; i++)
        {
            string answer = answers[i].Trim();
            if (answer.Length == 0) tally.DropFiltered($"instruction {instructions[i].Generation + 1}: the professional model's answer is empty");
            else rows.Add(new SyntheticExample(instructions[i].Text, answer, Origin, $"{Origin}#{instructions[i].Generation}"));
        }
        tally.Kept = rows.Count;
        if (rows.Count == 0) throw Parsed.NothingKept(Origin, tally);
        return new SynthesisResult(rows, tally);
    }

    /// <summary>An instruction and the generation it came from (for its row's source).</summary>
    private sealed record Candidate(string Text, int Generation);

    /// <summary>Prompt i shows <see cref="KnowledgeSgOptions.Shots"/> seed instructions drawn for it from the run seed.</summary>
    private List<string> Prompts(IReadOnlyList<string> seeds, ulong seed)
    {
        var template = PromptTemplate.Load(options.Prompt);
        template.Require("examples");
        var shot = PromptTemplate.Load(options.ExamplePrompt);
        shot.Require("instruction");
        var prompts = new List<string>(options.Prompts);
        for (int i = 0; i < options.Prompts; i++)
        {
            int[] order = [.. Enumerable.Range(0, seeds.Count)];
            Xoshiro256StarStar.ForPurpose(seed, Origin + "-shots", i).Shuffle(order.AsSpan());
            string examples = Templates.Examples(shot, order.Take(options.Shots).Select(s => (seeds[s], "")));
            prompts.Add(template.Render(new Dictionary<string, string> { ["examples"] = examples }));
        }
        return prompts;
    }

    /// <summary>
    /// The instruction of each continuation. The prompt ends with an open example, so a continuation without an
    /// <c>##instruction:</c> marker is read as the instruction itself, up to the next marker (as the seed code cuts it).
    /// </summary>
    private static List<Candidate> Instructions(IReadOnlyList<string> generations, SynthesisTally tally)
    {
        var found = new List<Candidate>();
        for (int i = 0; i < generations.Count; i++)
        {
            var outcome = InstructionResponseParser.Parse(generations[i], requireResponse: false);
            if (!outcome.Succeeded && !string.IsNullOrWhiteSpace(generations[i]))
                outcome = InstructionResponseParser.Parse("##instruction: " + generations[i], requireResponse: false);
            if (outcome.Pair is { } pair) found.Add(new Candidate(pair.Instruction, i));
            else tally.DropUnparsable($"generation {i + 1}: {outcome.Reason}");
        }
        return found;
    }

    /// <summary>KnowledgeSG's filter against the seeds and by length, then near-duplicates among the generated (ours).</summary>
    private List<Candidate> Filter(List<Candidate> candidates, IReadOnlyList<string> seeds, SynthesisTally tally)
    {
        var verdicts = new SeedSimilarityFilter(options.SeedThreshold, options.MinWords).Filter(seeds, [.. candidates.Select(c => c.Text)]);
        var novel = new List<Candidate>();
        foreach (var verdict in verdicts)
        {
            if (verdict.Kept) novel.Add(candidates[verdict.Index]);
            else tally.DropFiltered($"instruction {candidates[verdict.Index].Generation + 1}: {verdict.Reason}");
        }
        var kept = new List<Candidate>();
        foreach (var verdict in new NearDuplicateFilter(options.SeedThreshold).Filter([.. novel.Select(c => c.Text)]))
        {
            if (verdict.Kept) kept.Add(novel[verdict.Index]);
            else tally.DropDuplicate($"instruction {novel[verdict.Index].Generation + 1}: {verdict.Reason}");
        }
        return kept;
    }

    /// <summary>The professional model's 1–10 grade of each instruction (greedy); an answer with no number counts as failing.</summary>
    private async Task<List<Candidate>> GradedAsync(List<Candidate> candidates, ulong seed, SynthesisTally tally, CancellationToken cancellation)
    {
        var template = PromptTemplate.Load(options.GradingPrompt);
        var grades = await GenerationBatch.GenerateAsync(professional,
            [.. candidates.Select(c => template.Render(new Dictionary<string, string> { ["domain"] = options.Domain, ["instruction"] = c.Text }))],
            new SamplingSettings { Temperature = 0, MaxNewTokens = 8 }, seed, Origin + "-grades", cancellation: cancellation).ConfigureAwait(false);
        var kept = new List<Candidate>();
        for (int i = 0; i < candidates.Count; i++)
        {
            double? grade = ParseGrade(grades[i]);
            if (grade >= options.GradeThreshold) kept.Add(candidates[i]);
            else tally.DropBelowGrade($"instruction {candidates[i].Generation + 1}: " +
                                      (grade is double g ? $"grade {g.ToString(CultureInfo.InvariantCulture)} below {options.GradeThreshold.ToString(CultureInfo.InvariantCulture)}" : $"no grade in '{Parsed.Preview(grades[i])}'"));
        }
        return kept;
    }

    /// <summary>The first whole number from 1 to 10 in the grader's answer, or null.</summary>
    public static double? ParseGrade(string answer)
    {
        var match = Grade().Match(answer ?? "");
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }
}
