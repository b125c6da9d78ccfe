using FedLlm.Evaluation.Metrics;

namespace FedLlm.Evaluation.Runner;

/// <summary>What to evaluate: a base model folder and the adapters to score over it (each under a name).</summary>
/// <param name="IncludeBase">Score the base model too (it always is when there are no adapters).</param>
public sealed record EvalTarget(string ModelPath, IReadOnlyList<(string Name, string Path)> Adapters, bool IncludeBase = false, string Dtype = "float32");

/// <summary>A whole evaluation: the suite, what was evaluated, and each task's result for each model.</summary>
public sealed record EvalResults(string Suite, string ModelPath, IReadOnlyList<(string Name, string? Path)> Models, IReadOnlyList<TaskResult> Results,
    DateTimeOffset Started, double Seconds)
{
    public IEnumerable<string> Tasks => Results.Select(r => r.Task).Distinct();

    public TaskResult? Find(string task, string model) => Results.FirstOrDefault(r => r.Task == task && r.Model == model);
}
