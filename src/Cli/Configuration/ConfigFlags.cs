using System.CommandLine;

namespace FedLlm.Cli.Configuration;

/// <summary>
/// Makes every config field a command-line flag: tokens the command does not define itself, such as
/// <c>--lora.rank 4</c>, <c>--rounds=20</c> or <c>--local.local-steps 5</c>, become config overrides.
/// Dashes in keys are read as underscores, so flags can follow CLI style while YAML keys stay snake_case.
/// Unknown keys are still errors: the config reader rejects any key its type does not have.
/// </summary>
public static class ConfigFlags
{
    /// <summary>Lets <paramref name="command"/> accept config keys as flags; returns its <c>--set</c> option for <see cref="Collect"/>.</summary>
    public static Option<string[]> Enable(Command command)
    {
        var set = new Option<string[]>("--set")
        {
            Description = "Override a config key, e.g. --set strategy.algorithm=fedprox (any key also works as a flag: --strategy.algorithm fedprox)",
        };
        command.Add(set);
        command.TreatUnmatchedTokensAsErrors = false;
        return set;
    }

    /// <summary>The overrides from <c>--set</c> and from config-key flags, in command-line order of each kind.</summary>
    public static IReadOnlyList<string> Collect(ParseResult parse, Option<string[]> set)
    {
        var overrides = new List<string>(parse.GetValue(set) ?? []);
        var tokens = parse.UnmatchedTokens;
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            if (!token.StartsWith("--", StringComparison.Ordinal) || token.Length == 2)
                throw new ArgumentException($"unexpected argument '{token}' (config keys are given as --key value or --key=value)");
            string flag = token[2..];
            int equals = flag.IndexOf('=');
            string key, value;
            if (equals >= 0)
            {
                key = flag[..equals];
                value = flag[(equals + 1)..];
            }
            else if (i + 1 < tokens.Count && !tokens[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                key = flag;
                value = tokens[++i];
            }
            else
            {
                // A bare flag is a boolean switch, as in --lora.use-rs-lora.
                key = flag;
                value = "true";
            }
            overrides.Add(key.Replace('-', '_') + "=" + value);
        }
        return overrides;
    }
}
