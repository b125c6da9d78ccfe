using FedLlm.Federation.Strategies;

namespace FedLlm.Federation.Robust;

/// <summary>
/// The output of a robust rule: the updates the strategy should aggregate instead of the raw ones, and the record of
/// the rule's choices. Selection rules return a subset of the clients' own updates; clipping returns clipped copies;
/// estimator rules (median, trimmed mean, Bulyan, FoolsGold, residual) return one synthetic update w + Δ̂.
/// </summary>
public sealed record RobustAggregation(IReadOnlyList<ClientUpdate> Updates, RobustDecision Decision)
{
    /// <summary>
    /// One update carrying the robust estimate. It takes the first client's id and a sample count of 1, as DP-FedAvg's
    /// private mean does: any strategy averaging a single update returns it, whatever its weight.
    /// </summary>
    public static RobustAggregation Estimate(IReadOnlyList<ClientUpdate> updates, float[] weights, RobustDecision decision) =>
        new([new ClientUpdate(updates[0].ClientId, 1, weights)], decision);
}
