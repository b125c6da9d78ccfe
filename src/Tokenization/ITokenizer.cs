namespace FedLlm.Tokenization;

/// <summary>A Llama-family tokenizer: SentencePiece BPE (tokenizer.model) or byte-level BPE (tokenizer.json).</summary>
public interface ITokenizer
{
    /// <summary>Number of ids (largest id + 1), including added/special tokens.</summary>
    int VocabSize { get; }

    int? BosId { get; }
    int? EosId { get; }
    int? PadId { get; }
    int? UnkId { get; }

    /// <summary>Whether the model expects BOS prepended (tokenizer_config.json, post_processor or the file format's convention).</summary>
    bool AddBosByDefault { get; }

    /// <summary>
    /// Tokenizes <paramref name="text"/>; never adds BOS/EOS. Each token carries the char span of the input it came from
    /// (a token holding part of a multi-byte char gets that whole char). When <paramref name="parseSpecialTokens"/> is true,
    /// special tokens written literally in the text (e.g. "&lt;|im_start|&gt;") become their ids; otherwise they are plain text.
    /// </summary>
    IReadOnlyList<EncodedToken> Encode(string text, bool parseSpecialTokens = true);

    string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false);

    /// <summary>The raw vocabulary entry of <paramref name="id"/> (e.g. "▁the", "Ġthe", "&lt;0x0A&gt;").</summary>
    string IdToToken(int id);

    int? TokenToId(string token);

    IReadOnlySet<int> SpecialTokenIds { get; }

    /// <summary>A decoder for streaming generation: feed ids one at a time, get text once it is complete UTF-8.</summary>
    TokenStreamDecoder CreateStreamDecoder(bool skipSpecialTokens = false);
}
