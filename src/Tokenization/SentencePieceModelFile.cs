namespace FedLlm.Tokenization;

/// <summary>
/// Reads and writes sentencepiece's <c>tokenizer.model</c> (a serialised ModelProto). Field numbers are those of
/// sentencepiece_model.proto: ModelProto{pieces=1, trainer_spec=2, normalizer_spec=3};
/// SentencePiece{piece=1, score=2, type=3}; TrainerSpec{model_type=3, vocab_size=4, byte_fallback=35,
/// unk_id=40, bos_id=41, eos_id=42, pad_id=43}; NormalizerSpec{name=1, precompiled_charsmap=2,
/// add_dummy_prefix=3, remove_extra_whitespaces=4, escape_whitespaces=5}. Other fields are skipped on read and not written.
/// </summary>
public static class SentencePieceModelFile
{
    private const int ModelPieces = 1, ModelTrainerSpec = 2, ModelNormalizerSpec = 3;
    private const int PiecePiece = 1, PieceScore = 2, PieceType = 3;
    private const int TrainerModelType = 3, TrainerVocabSize = 4, TrainerByteFallback = 35;
    private const int TrainerUnkId = 40, TrainerBosId = 41, TrainerEosId = 42, TrainerPadId = 43;
    private const int NormalizerName = 1, NormalizerCharsMap = 2, NormalizerAddDummyPrefix = 3;
    private const int NormalizerRemoveExtraWhitespaces = 4, NormalizerEscapeWhitespaces = 5;

    public static SentencePieceModel Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"SentencePiece model file not found: {path}", path);
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses a serialised ModelProto; <paramref name="source"/> names it in error messages.</summary>
    public static SentencePieceModel Parse(ReadOnlySpan<byte> data, string source)
    {
        var pieces = new List<SentencePieceEntry>();
        var trainer = new SentencePieceTrainerSpec();
        var normalizer = new SentencePieceNormalizerSpec();
        var reader = new ProtoWireReader(data, source);
        while (reader.TryReadTag(out int field, out var wire))
        {
            switch (field)
            {
                case ModelPieces:
                    reader.Expect(wire, ProtoWireType.LengthDelimited, field);
                    pieces.Add(ParsePiece(reader.ReadBytes(), $"{source} (piece {pieces.Count})"));
                    break;
                case ModelTrainerSpec:
                    reader.Expect(wire, ProtoWireType.LengthDelimited, field);
                    trainer = ParseTrainerSpec(reader.ReadBytes(), $"{source} (trainer_spec)");
                    break;
                case ModelNormalizerSpec:
                    reader.Expect(wire, ProtoWireType.LengthDelimited, field);
                    normalizer = ParseNormalizerSpec(reader.ReadBytes(), $"{source} (normalizer_spec)");
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }
        if (pieces.Count == 0) throw new InvalidDataException($"{source} holds no pieces; is it a sentencepiece model file?");
        return new SentencePieceModel(pieces, trainer, normalizer);
    }

    public static void Write(string path, SentencePieceModel model) => File.WriteAllBytes(path, Serialize(model));

    public static byte[] Serialize(SentencePieceModel model)
    {
        var root = new ProtoWireWriter();
        foreach (var entry in model.Pieces)
        {
            var piece = new ProtoWireWriter();
            piece.WriteStringField(PiecePiece, entry.Piece);
            piece.WriteFloatField(PieceScore, entry.Score);
            piece.WriteVarintField(PieceType, (ulong)entry.Type);
            root.WriteMessageField(ModelPieces, piece);
        }

        var t = model.TrainerSpec;
        var trainer = new ProtoWireWriter();
        trainer.WriteVarintField(TrainerModelType, (ulong)t.ModelType);
        trainer.WriteInt32Field(TrainerVocabSize, t.VocabSize);
        trainer.WriteBoolField(TrainerByteFallback, t.ByteFallback);
        trainer.WriteInt32Field(TrainerUnkId, t.UnkId);
        trainer.WriteInt32Field(TrainerBosId, t.BosId);
        trainer.WriteInt32Field(TrainerEosId, t.EosId);
        trainer.WriteInt32Field(TrainerPadId, t.PadId);
        root.WriteMessageField(ModelTrainerSpec, trainer);

        var n = model.NormalizerSpec;
        var normalizer = new ProtoWireWriter();
        normalizer.WriteStringField(NormalizerName, n.Name);
        normalizer.WriteBytesField(NormalizerCharsMap, n.PrecompiledCharsMap);
        normalizer.WriteBoolField(NormalizerAddDummyPrefix, n.AddDummyPrefix);
        normalizer.WriteBoolField(NormalizerRemoveExtraWhitespaces, n.RemoveExtraWhitespaces);
        normalizer.WriteBoolField(NormalizerEscapeWhitespaces, n.EscapeWhitespaces);
        root.WriteMessageField(ModelNormalizerSpec, normalizer);
        return root.ToArray();
    }

    private static SentencePieceEntry ParsePiece(ReadOnlySpan<byte> data, string context)
    {
        string? text = null;
        float score = 0;
        var type = SentencePieceType.Normal;
        var reader = new ProtoWireReader(data, context);
        while (reader.TryReadTag(out int field, out var wire))
        {
            switch (field)
            {
                case PiecePiece: reader.Expect(wire, ProtoWireType.LengthDelimited, field); text = reader.ReadString(); break;
                case PieceScore: reader.Expect(wire, ProtoWireType.Fixed32, field); score = reader.ReadFloat(); break;
                case PieceType:
                    reader.Expect(wire, ProtoWireType.Varint, field);
                    int raw = reader.ReadInt32();
                    if (!Enum.IsDefined((SentencePieceType)raw)) throw new InvalidDataException($"{context}: unknown piece type {raw}.");
                    type = (SentencePieceType)raw;
                    break;
                default: reader.Skip(wire); break;
            }
        }
        return new SentencePieceEntry(text ?? throw new InvalidDataException($"{context}: piece has no text (field 1)."), score, type);
    }

    private static SentencePieceTrainerSpec ParseTrainerSpec(ReadOnlySpan<byte> data, string context)
    {
        var spec = new SentencePieceTrainerSpec();
        var reader = new ProtoWireReader(data, context);
        while (reader.TryReadTag(out int field, out var wire))
        {
            if (field is not (TrainerModelType or TrainerVocabSize or TrainerByteFallback or TrainerUnkId or TrainerBosId or TrainerEosId or TrainerPadId))
            {
                reader.Skip(wire);
                continue;
            }
            reader.Expect(wire, ProtoWireType.Varint, field);
            int value = reader.ReadInt32();
            spec = field switch
            {
                TrainerModelType => spec with { ModelType = (SentencePieceModelType)value },
                TrainerVocabSize => spec with { VocabSize = value },
                TrainerByteFallback => spec with { ByteFallback = value != 0 },
                TrainerUnkId => spec with { UnkId = value },
                TrainerBosId => spec with { BosId = value },
                TrainerEosId => spec with { EosId = value },
                _ => spec with { PadId = value },
            };
        }
        return spec;
    }

    private static SentencePieceNormalizerSpec ParseNormalizerSpec(ReadOnlySpan<byte> data, string context)
    {
        var spec = new SentencePieceNormalizerSpec();
        var reader = new ProtoWireReader(data, context);
        while (reader.TryReadTag(out int field, out var wire))
        {
            switch (field)
            {
                case NormalizerName: reader.Expect(wire, ProtoWireType.LengthDelimited, field); spec = spec with { Name = reader.ReadString() }; break;
                case NormalizerCharsMap: reader.Expect(wire, ProtoWireType.LengthDelimited, field); spec = spec with { PrecompiledCharsMap = reader.ReadBytes().ToArray() }; break;
                case NormalizerAddDummyPrefix: reader.Expect(wire, ProtoWireType.Varint, field); spec = spec with { AddDummyPrefix = reader.ReadBool() }; break;
                case NormalizerRemoveExtraWhitespaces: reader.Expect(wire, ProtoWireType.Varint, field); spec = spec with { RemoveExtraWhitespaces = reader.ReadBool() }; break;
                case NormalizerEscapeWhitespaces: reader.Expect(wire, ProtoWireType.Varint, field); spec = spec with { EscapeWhitespaces = reader.ReadBool() }; break;
                default: reader.Skip(wire); break;
            }
        }
        return spec;
    }
}
