using FedLlm.Models.Tokenization;

namespace FedLlm.Tests.Training;

/// <summary>Tokenizers built in code so training tests need no files.</summary>
public static class TestTokenizers
{
    public const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;!?#'\"+-*/=()\n";

    /// <summary>
    /// One token per character (no merges), so token i covers exactly character i: ideal for checking loss masks
    /// position by position. Ids: 0 unk, 1 &lt;s&gt;, 2 &lt;/s&gt;, then the alphabet.
    /// </summary>
    public static ITokenizer CharacterLevel()
    {
        var pieces = new List<SentencePiece> { new("<unk>", 0, PieceType.Unknown), new("<s>", 0, PieceType.Control), new("</s>", 0, PieceType.Control) };
        foreach (char c in Alphabet) pieces.Add(new SentencePiece(c == ' ' ? "\u2581" : c.ToString(), -1, PieceType.Normal));
        return new SentencePieceTokenizer(new SentencePieceModel(pieces) { AddDummyPrefix = false, ByteFallback = false, PadId = 0 });
    }
}
