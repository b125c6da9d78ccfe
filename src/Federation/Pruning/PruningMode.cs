using FedLlm.Foundation.Configuration;

namespace FedLlm.Federation.Pruning;

/// <summary>How a client's update is thinned before it is encrypted and uploaded.</summary>
public enum PruningMode
{
    /// <summary>The whole update is sent.</summary>
    None,

    /// <summary>
    /// FedShield-LLM's rule: each client zeroes the smallest-magnitude entries of every LoRA tensor of its own update.
    /// Masks differ between clients, so the ciphertext still covers every value (zeros cost as much as any value).
    /// </summary>
    PerTensor,

    /// <summary>
    /// One mask per round, shared by every client and known to the server: only the kept entries are encrypted and sent,
    /// so the upload shrinks by the pruning rate and the mean of each kept entry is unbiased.
    /// </summary>
    SharedMask,
}

/// <summary>The config spelling of <see cref="PruningMode"/> (<c>encryption.pruning</c>).</summary>
public static class PruningModes
{
    public static readonly NamedValues<PruningMode> Names = new(
        ("none", PruningMode.None), ("per_tensor", PruningMode.PerTensor), ("shared_mask", PruningMode.SharedMask));
}
