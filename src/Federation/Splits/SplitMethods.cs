using FedLlm.Foundation.Configuration;

namespace FedLlm.Federation.Splits;

/// <summary>Method names recorded in <see cref="ClientSplit.Method"/>.</summary>
public static class SplitMethods
{
    public const string Iid = "iid";
    public const string DirichletLabel = "dirichlet";
    public const string QuantityDirichlet = "quantity-dirichlet";
    public const string QuantityLogNormal = "quantity-lognormal";
    public const string Natural = "natural";

    /// <summary>The methods a run config can ask for (<c>split.method</c>), each mapped to its recorded name.</summary>
    public static readonly NamedValues<string> Configurable = new(
        (Iid, Iid), (DirichletLabel, DirichletLabel), (QuantityDirichlet, QuantityDirichlet), ("quantity_dirichlet", QuantityDirichlet), (Natural, Natural));
}
