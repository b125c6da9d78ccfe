namespace FedLlm.Data.Templates;

/// <summary>Looks templates up by name.</summary>
public static class TemplateRegistry
{
    public const string Alpaca = "alpaca";
    public const string Vicuna = "vicuna_v1.1";
    public const string ChatMl = "chatml";
    public const string Llama3 = "llama-3";
    public const string Plain = "plain";

    public static IReadOnlyList<string> Names { get; } = [Alpaca, Vicuna, ChatMl, Llama3, Plain];

    /// <summary>
    /// The template called <paramref name="name"/> (case-insensitive; "vicuna" and "llama3" are accepted aliases).
    /// <paramref name="endOfTurn"/> overrides the template's end-of-turn marker (required for "plain": the model's EOS);
    /// <paramref name="bos"/> is prepended to every rendering when given.
    /// </summary>
    public static ChatTemplate Get(string name, string? endOfTurn = null, string? bos = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            Alpaca => endOfTurn is null ? new AlpacaTemplate(bos: bos) : new AlpacaTemplate(endOfTurn, bos),
            Vicuna or "vicuna" => endOfTurn is null ? new VicunaTemplate(bos: bos) : new VicunaTemplate(endOfTurn, bos),
            ChatMl => endOfTurn is null ? new ChatMlTemplate(bos: bos) : new ChatMlTemplate(endOfTurn, bos),
            Llama3 or "llama3" => endOfTurn is null ? new Llama3Template(bos: bos) : new Llama3Template(endOfTurn, bos),
            Plain => new PlainTemplate(endOfTurn ?? throw new ArgumentException(
                "The 'plain' template needs the model's EOS string as its end-of-turn marker.", nameof(endOfTurn)), bos),
            _ => throw new ArgumentException($"Unknown chat template '{name}'. Valid names: {string.Join(", ", Names)}.", nameof(name)),
        };
    }
}
