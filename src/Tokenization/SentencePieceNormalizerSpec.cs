namespace FedLlm.Tokenization;

/// <summary>
/// The NormalizerSpec fields of sentencepiece_model.proto (defaults are its proto2 defaults).
/// A non-empty <see cref="PrecompiledCharsMap"/> (e.g. nmt_nfkc) is carried through the writer but not applied when
/// encoding; Llama-family models use the "identity" normaliser with an empty map.
/// </summary>
public sealed record SentencePieceNormalizerSpec
{
    public string Name { get; init; } = "identity";
    public byte[] PrecompiledCharsMap { get; init; } = [];
    public bool AddDummyPrefix { get; init; } = true;
    public bool RemoveExtraWhitespaces { get; init; } = true;
    public bool EscapeWhitespaces { get; init; } = true;
}
