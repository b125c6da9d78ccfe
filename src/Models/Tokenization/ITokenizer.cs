namespace FedLlm.Models.Tokenization;

/// <summary>One token of an encoded string; <c>[Start, End)</c> are UTF-16 char offsets into the input.</summary>
public readonly record struct EncodedToken(int Id, int Start, int End);

/// <summary>Text ↔ token ids for a language model's vocabulary.</summary>
public interface ITokenizer
{
    int VocabSize { get; }

    int? BosId { get; }

    int? EosId { get; }

    int? PadId { get; }

    int? UnkId { get; }

    /// <summary>Whether callers should prepend <see cref="BosId"/>; <see cref="Encode"/> never adds it itself.</summary>
    bool AddBosByDefault { get; }

    /// <summary>Encodes <paramref name="text"/>; never adds BOS/EOS. With <paramref name="parseSpecialTokens"/>, the literal text of special pieces (e.g. "&lt;s&gt;") becomes their id.</summary>
    IReadOnlyList<EncodedToken> Encode(string text, bool parseSpecialTokens = true);

    string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false);

    string IdToToken(int id);

    int? TokenToId(string token);

    IReadOnlySet<int> SpecialTokenIds { get; }

    /// <summary>A decoder for generated ids; the concatenation of its output equals <see cref="Decode"/> over the same ids.</summary>
    TokenStreamDecoder CreateStreamDecoder();
}
