namespace FedLlm.Privacy.Accounting;

/// <summary>
/// How the two erfc series for fractional Rényi orders (Mironov, Talwar, Zhang 2019, Sec. 3.3) are summed.
/// Integer orders use the exact binomial sum and are identical under both choices.
/// </summary>
public enum FractionalOrderSummation
{
    /// <summary>
    /// Sum |terms| (current Google dp_accounting). Gives an upper bound on the signed sum, so it is the
    /// conservative choice and the default.
    /// </summary>
    AbsoluteTerms = 0,

    /// <summary>Sum the terms with the sign of the binomial coefficient (Opacus, legacy TensorFlow Privacy).</summary>
    SignedTerms = 1,
}
