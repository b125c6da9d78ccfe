using FedLlm.Models.Lora;
using FedLlm.Training.Dpo;
using FedLlm.Training.Examples;

namespace FedLlm.Federation.Client;

/// <summary>
/// DPO's reference log-probabilities (the base with the adapters off) of each owner's fixed pairs: the base is frozen,
/// so they are computed once per owner and kept. The trainer keeps one for each client's training pairs, the evaluator
/// one for each client's held-out pairs and the global test set.
/// </summary>
internal sealed class DpoReferenceCache(LoraAdapterSet adapters, int batchSize, int padId)
{
    private readonly Dictionary<int, (double[] Chosen, double[] Rejected)> _byOwner = [];

    /// <param name="owner">Whose pairs these are; an owner always passes the same pairs.</param>
    public (double[] Chosen, double[] Rejected) Of(int owner, IReadOnlyList<PreferencePair> pairs)
    {
        if (!_byOwner.TryGetValue(owner, out var reference))
            _byOwner[owner] = reference = DpoScoring.ReferenceLogProbs(adapters, pairs, batchSize, padId);
        return reference;
    }
}
