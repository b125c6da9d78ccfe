using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;

namespace FedLlm.Cli.Output;

/// <summary>Whether a finished federated run produced anything: a run in which no round aggregated must not look like success.</summary>
public static class RunOutcome
{
    /// <summary>Why the run counts as failed (every round had too few accepted updates); null when it trained.</summary>
    public static string? NothingAggregated(RunConfig config, RunResult result)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(result);
        bool exchangesUpdates = config.StrategyKind.Capabilities.ExchangesUpdates;
        if (config.Rounds == 0 || !exchangesUpdates || result.AggregatedRounds > 0) return null;
        return $"no round aggregated in {config.Rounds} round(s) (each had fewer accepted updates than needed): the adapter in {result.Run.Path} is untrained; " +
            "see metrics.jsonl and the log for why clients failed or were rejected";
    }
}
