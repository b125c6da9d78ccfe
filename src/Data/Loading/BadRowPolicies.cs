using FedLlm.Foundation.Configuration;

namespace FedLlm.Data.Loading;

/// <summary>The config and command-line spelling of <see cref="BadRowPolicy"/> (<c>data.on_bad_row</c>, <c>--on-bad-row</c>).</summary>
public static class BadRowPolicies
{
    public static readonly NamedValues<BadRowPolicy> Names = new(("skip", BadRowPolicy.Skip), ("fail", BadRowPolicy.Fail));
}
