namespace FedLlm.Tokenization;

/// <summary>In-memory form of a sentencepiece ModelProto (tokenizer.model): pieces plus the specs encoding needs.</summary>
public sealed record SentencePieceModel(
    IReadOnlyList<SentencePieceEntry> Pieces,
    SentencePieceTrainerSpec TrainerSpec,
    SentencePieceNormalizerSpec NormalizerSpec);
