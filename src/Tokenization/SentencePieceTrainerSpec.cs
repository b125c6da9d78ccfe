namespace FedLlm.Tokenization;

/// <summary>TrainerSpec.ModelType values from sentencepiece_model.proto.</summary>
public enum SentencePieceModelType
{
    Unigram = 1,
    Bpe = 2,
    Word = 3,
    Char = 4,
}

/// <summary>
/// The TrainerSpec fields that matter for encoding. Defaults are the proto2 defaults of
/// sentencepiece_model.proto (model_type UNIGRAM, unk/bos/eos/pad = 0/1/2/-1, byte_fallback false).
/// </summary>
public sealed record SentencePieceTrainerSpec
{
    public SentencePieceModelType ModelType { get; init; } = SentencePieceModelType.Unigram;
    public int VocabSize { get; init; } = 8000;
    public bool ByteFallback { get; init; }
    public int UnkId { get; init; }
    public int BosId { get; init; } = 1;
    public int EosId { get; init; } = 2;
    public int PadId { get; init; } = -1;
}
