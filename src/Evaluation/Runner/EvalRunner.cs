using System.Diagnostics;
using FedLlm.Evaluation.Metrics;
using FedLlm.Evaluation.Safety;
using FedLlm.Evaluation.Scoring;
using FedLlm.Evaluation.Suites;
using FedLlm.Generation;
using FedLlm.Generation.Local;
using Microsoft.Extensions.AI;

namespace FedLlm.Evaluation.Runner;

/// <summary>
/// Runs a suite: checks it and reads every task's examples first (a bad suite fails before any model loads), then loads
/// the base once with every adapter banked over it, and scores each task on each model in turn. Likelihood metrics run
/// on the caller's thread and generation on the host's decoding thread, never at the same time.
/// </summary>
public sealed class EvalRunner(EvalSuite suite, EvalTarget target)
{
    /// <summary>Decides refusals for refusal_rate tasks (the AdvBench substring rule unless replaced).</summary>
    public IRefusalClassifier RefusalClassifier { get; init; } = RefusalSubstringClassifier.Instance;

    /// <summary>Called before each task on each model (task, model, index, total).</summary>
    public Action<string, string, int, int>? Progress { get; init; }

    public async Task<EvalResults> RunAsync(CancellationToken cancellation = default)
    {
        EvalSuiteValidation.ThrowIfInvalid(suite);
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var items = suite.Tasks.Select(EvalItems.Load).ToList();
        using var host = AdapterHost.Load(target.ModelPath, target.Dtype, suite.Template, target.Adapters, new HostLimits { MaxBatch = suite.MaxBatch });
        using var judge = suite.Judge is null || !suite.Tasks.Any(t => Metric(t) == MetricKind.Judge) ? null : Generators.Create(suite.Judge, "judge.");
        var scorer = new LikelihoodScorer(host, suite.MaxBatch);
        var models = Models(host);
        var results = new List<TaskResult>();
        int step = 0, steps = models.Count * suite.Tasks.Count;
        foreach (var (index, name) in models)
        {
            for (int t = 0; t < suite.Tasks.Count; t++)
            {
                cancellation.ThrowIfCancellationRequested();
                var task = suite.Tasks[t];
                Progress?.Invoke(task.Name, name, ++step, steps);
                var context = new TaskContext(suite, task, Metric(task), items[t], index, name, scorer, host.Client(index), judge);
                results.Add(await RunTaskAsync(context, cancellation));
            }
        }
        var evaluated = models.Select(m => (m.Name, m.Index == 0 ? null : (string?)target.Adapters[m.Index - 1].Path)).ToList();
        return new EvalResults(suite.Name, Path.GetFullPath(target.ModelPath), evaluated, results, started, clock.Elapsed.TotalSeconds);
    }

    private Task<TaskResult> RunTaskAsync(TaskContext context, CancellationToken cancellation) => context.Metric switch
    {
        MetricKind.Perplexity => Task.FromResult(PerplexityMetric.Run(context)),
        MetricKind.ExactMatch => ExactMatchMetric.RunAsync(context, cancellation),
        MetricKind.Classification => ClassificationMetric.RunAsync(context, cancellation),
        MetricKind.MultipleChoice => Task.FromResult(MultipleChoiceMetric.Run(context)),
        MetricKind.RougeL => RougeLMetric.RunAsync(context, cancellation),
        MetricKind.RefusalRate => RefusalRateMetric.RunAsync(context, RefusalClassifier, cancellation),
        MetricKind.Judge => JudgeMetric.RunAsync(context, cancellation),
        _ => throw new ArgumentOutOfRangeException(nameof(context), context.Metric, null),
    };

    /// <summary>The models scored, by host index: the adapters, and the base when asked for or when there are none.</summary>
    private List<(int Index, string Name)> Models(AdapterHost host)
    {
        var models = new List<(int, string)>();
        if (target.IncludeBase || target.Adapters.Count == 0) models.Add((0, host.Names[0]));
        for (int i = 1; i < host.Names.Count; i++) models.Add((i, host.Names[i]));
        return models;
    }

    private static MetricKind Metric(EvalTask task) => MetricKinds.Names.Parse(task.Metric, $"{task.Name}.metric");
}
