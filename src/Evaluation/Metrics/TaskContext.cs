using FedLlm.Evaluation.Scoring;
using FedLlm.Evaluation.Suites;
using Microsoft.Extensions.AI;

namespace FedLlm.Evaluation.Metrics;

/// <summary>Everything a metric needs to score one task on one model.</summary>
/// <param name="ModelIndex">The model on the host: 0 the base, i the i-th adapter.</param>
/// <param name="Chat">The evaluated model as a generator.</param>
/// <param name="Judge">The suite's judge, when it has one.</param>
public sealed record TaskContext(EvalSuite Suite, EvalTask Task, MetricKind Metric, IReadOnlyList<EvalItem> Items, int ModelIndex, string ModelName,
    LikelihoodScorer Scorer, IChatClient Chat, IChatClient? Judge)
{
    /// <summary>The bootstrap interval of <paramref name="statistic"/> over this task's examples, seeded by suite, task and model.</summary>
    public Statistics.Estimate Interval(Func<int[], double> statistic, string name) =>
        Statistics.Bootstrap.Interval(Items.Count, statistic, Suite.BootstrapSamples, Suite.Confidence, Suite.Seed, $"{Task.Name}/{ModelName}/{name}");

    /// <summary>The item's prompt rendered with the model's chat template, ending where the answer starts.</summary>
    public string RenderedPrompt(EvalItem item) =>
        Scorer.Template.RenderPrompt(Data.Model.Conversation.SingleTurn(item.Prompt ?? "", null, item.System));
}
