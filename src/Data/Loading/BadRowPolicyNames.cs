namespace FedLlm.Data.Loading;

/// <summary>The config and command-line spelling of <see cref="BadRowPolicy"/>: <c>skip</c> or <c>fail</c>.</summary>
public static class BadRowPolicyNames
{
    public const string Skip = "skip";
    public const string Fail = "fail";

    /// <param name="key">The config key being read, named in the error (e.g. <c>data.on_bad_row</c>).</param>
    public static BadRowPolicy Parse(string? name, string key = "on_bad_row") => name?.Trim().ToLowerInvariant() switch
    {
        Skip => BadRowPolicy.Skip,
        Fail => BadRowPolicy.Fail,
        _ => throw new ArgumentException($"{key} must be {Skip} or {Fail}, got '{name}'"),
    };
}
