using FedLlm.Foundation.Configuration;

namespace FedLlm.Data.Templates;

/// <summary>Looks templates up by name.</summary>
public static class TemplateRegistry
{
    public const string Alpaca = "alpaca";
    public const string Vicuna = "vicuna_v1.1";
    public const string ChatMl = "chatml";
    public const string Llama3 = "llama-3";
    public const string Plain = "plain";

    /// <summary>The template names (<c>data.template</c>), case-insensitive; "vicuna" and "llama3" are aliases.</summary>
    public static readonly NamedValues<string> Names = new(
        (Alpaca, Alpaca), (Vicuna, Vicuna), ("vicuna", Vicuna), (ChatMl, ChatMl), (Llama3, Llama3), ("llama3", Llama3), (Plain, Plain));

    /// <summary>
    /// The template called <paramref name="name"/> (case-insensitive; "vicuna" and "llama3" are accepted aliases).
    /// <paramref name="endOfTurn"/> overrides the template's end-of-turn marker (required for "plain": the model's EOS);
    /// <paramref name="bos"/> is prepended to every rendering when given.
    /// </summary>
    public static ChatTemplate Get(string name, string? endOfTurn = null, string? bos = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Names.Parse(name, "data.template") switch
        {
            Alpaca => endOfTurn is null ? new AlpacaTemplate(bos: bos) : new AlpacaTemplate(endOfTurn, bos),
            Vicuna => endOfTurn is null ? new VicunaTemplate(bos: bos) : new VicunaTemplate(endOfTurn, bos),
            ChatMl => endOfTurn is null ? new ChatMlTemplate(bos: bos) : new ChatMlTemplate(endOfTurn, bos),
            Llama3 => endOfTurn is null ? new Llama3Template(bos: bos) : new Llama3Template(endOfTurn, bos),
            _ => new PlainTemplate(endOfTurn ?? throw new ArgumentException(
                "The 'plain' template needs the model's EOS string as its end-of-turn marker.", nameof(endOfTurn)), bos),
        };
    }
}
