namespace FedLlm.Tokenization;

/// <summary>What decoding needs to know about each id; shared by full and streaming decoding so both agree.</summary>
internal interface ITokenTextSource
{
    int VocabSize { get; }

    /// <summary>Special tokens decode to their literal text (or nothing when skipped) and end a byte run.</summary>
    bool IsSpecial(int id);

    /// <summary>Literal text of a special token.</summary>
    string SpecialText(int id);

    /// <summary>UTF-8 bytes an ordinary token stands for (byte-fallback and byte-level tokens may be partial chars).</summary>
    ReadOnlySpan<byte> Bytes(int id);

    /// <summary>SentencePiece's dummy prefix: drop one leading space at the start of the text and after each special token.</summary>
    bool StripLeadingSpaceAtSegmentStart { get; }
}
