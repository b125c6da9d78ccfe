using FedLlm.Tokenization;

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
        var pieces = new List<SentencePieceEntry> { new("<unk>", 0, SentencePieceType.Unknown), new("<s>", 0, SentencePieceType.Control), new("</s>", 0, SentencePieceType.Control) };
        foreach (char c in Alphabet) pieces.Add(new SentencePieceEntry(c == ' ' ? "\u2581" : c.ToString(), -1, SentencePieceType.Normal));
        var model = new SentencePieceModel(pieces,
            new SentencePieceTrainerSpec { ModelType = SentencePieceModelType.Bpe, ByteFallback = false, UnkId = 0, BosId = 1, EosId = 2, PadId = 0 },
            new SentencePieceNormalizerSpec { AddDummyPrefix = false, RemoveExtraWhitespaces = false });
        return new SentencePieceTokenizer(model, addBosByDefault: true);
    }
}
