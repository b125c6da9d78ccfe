namespace FedLlm.Federation.Splits;

/// <summary>Method names recorded in <see cref="ClientSplit.Method"/>.</summary>
public static class SplitMethods
{
    public const string Iid = "iid";
    public const string DirichletLabel = "dirichlet";
    public const string QuantityDirichlet = "quantity-dirichlet";
    public const string QuantityLogNormal = "quantity-lognormal";
    public const string Natural = "natural";
    public const string FedLlmBench = "fedllm-bench";
}
