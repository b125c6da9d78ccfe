namespace FedLlm.Federation.Strategies;

/// <summary>Names of the extra vectors that travel with <see cref="RoundPlan"/> and <see cref="ClientUpdate"/>.</summary>
public static class ExchangeKeys
{
    /// <summary>Server → client: SCAFFOLD's server control variate c (length P).</summary>
    public const string ScaffoldServerControl = "scaffold.c";

    /// <summary>Client → server: SCAFFOLD's control variate change Δc_i = c_i⁺ − c_i (length P).</summary>
    public const string ScaffoldDeltaControl = "scaffold.delta_c";
}
