namespace FedLlm.Models.Tokenization;

/// <summary>TrainerSpec.ModelType numbering from sentencepiece_model.proto.</summary>
public enum SentencePieceModelType
{
    Unigram = 1,
    Bpe = 2,
    Word = 3,
    Char = 4,
}

/// <summary>The parts of a SentencePiece ModelProto this project uses. Special ids are -1 when absent.</summary>
public sealed record SentencePieceModel(IReadOnlyList<SentencePiece> Pieces)
{
    public SentencePieceModelType ModelType { get; init; } = SentencePieceModelType.Bpe;

    public bool AddDummyPrefix { get; init; } = true;

    public bool ByteFallback { get; init; }

    public int UnkId { get; init; }

    public int BosId { get; init; } = 1;

    public int EosId { get; init; } = 2;

    public int PadId { get; init; } = -1;

    /// <summary>Throws <see cref="InvalidDataException"/> when a special id points outside the vocabulary.</summary>
    public void Validate(string source)
    {
        CheckId(UnkId, nameof(UnkId));
        CheckId(BosId, nameof(BosId));
        CheckId(EosId, nameof(EosId));
        CheckId(PadId, nameof(PadId));

        void CheckId(int id, string name)
        {
            if (id < -1 || id >= Pieces.Count)
                throw new InvalidDataException($"{source}: {name} = {id} is outside the vocabulary of {Pieces.Count} pieces (use -1 for none).");
        }
    }
}
