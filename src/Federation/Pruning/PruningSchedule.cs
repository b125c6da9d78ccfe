namespace FedLlm.Federation.Pruning;

/// <summary>
/// FedShield-LLM's pruning rate (research notes §E): 0 before round s, then rising linearly from p0 at s to p1 at e,
/// and p1 after e. FedShield's code applies no upper clamp past e; we hold the rate at p1 so long runs stay sane.
/// Rounds are the engine's 0-based round indices.
/// </summary>
public sealed record PruningSchedule(double InitialRate = 0.2, double FinalRate = 0.5, int StartRound = 40, int EndRound = 200)
{
    /// <summary>Every problem with the schedule, naming the config key; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!(InitialRate >= 0 && InitialRate < 1)) problems.Add($"encryption.p0 must be in [0, 1), got {InitialRate}");
        if (!(FinalRate >= 0 && FinalRate < 1)) problems.Add($"encryption.p1 must be in [0, 1), got {FinalRate}");
        if (StartRound < 0) problems.Add($"encryption.start_round must be >= 0, got {StartRound}");
        if (EndRound < StartRound) problems.Add($"encryption.end_round ({EndRound}) must be >= encryption.start_round ({StartRound})");
        return problems;
    }

    /// <summary>The fraction of each tensor's entries pruned in <paramref name="round"/>.</summary>
    public double RateAt(int round)
    {
        if (round < StartRound) return 0;
        if (round >= EndRound) return FinalRate; // also covers s = e
        return InitialRate + (FinalRate - InitialRate) * (round - StartRound) / (EndRound - StartRound);
    }

    /// <summary>
    /// Entries pruned from a tensor of <paramref name="length"/> values: round(rate·length) with ties to even, the count
    /// torch.nn.utils.prune uses for a fractional amount (Python's round).
    /// </summary>
    public static long PrunedCount(long length, double rate) =>
        Math.Min(length, (long)Math.Round(rate * length, MidpointRounding.ToEven));
}
