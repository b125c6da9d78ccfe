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

public static class PruningModes
{
    public const string None = "none";
    public const string PerTensor = "per_tensor";
    public const string SharedMask = "shared_mask";

    public static IReadOnlyList<string> All { get; } = [None, PerTensor, SharedMask];

    /// <summary>The mode named by a config value (case-insensitive), or null when the name is unknown.</summary>
    public static PruningMode? Parse(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        None => PruningMode.None,
        PerTensor => PruningMode.PerTensor,
        SharedMask => PruningMode.SharedMask,
        _ => null,
    };
}
