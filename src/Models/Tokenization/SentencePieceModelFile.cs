namespace FedLlm.Models.Tokenization;

/// <summary>
/// Reads and writes SentencePiece <c>tokenizer.model</c> files (a serialized ModelProto). Field numbers from
/// sentencepiece_model.proto: ModelProto{1 pieces, 2 trainer_spec, 3 normalizer_spec};
/// SentencePiece{1 piece, 2 score, 3 type}; TrainerSpec{3 model_type, 4 vocab_size, 35 byte_fallback,
/// 40 unk_id, 41 bos_id, 42 eos_id, 43 pad_id}; NormalizerSpec{1 name, 3 add_dummy_prefix,
/// 4 remove_extra_whitespaces, 5 escape_whitespaces}. Unknown fields are skipped.
/// </summary>
public static class SentencePieceModelFile
{
    public static SentencePieceModel Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        var model = Parse(bytes, path);
        if (model.ModelType != SentencePieceModelType.Bpe)
            throw new NotSupportedException(
                $"{path}: SentencePiece model type {model.ModelType} is not supported; only BPE models can be loaded.");
        model.Validate(path);
        return model;
    }

    public static void Write(string path, SentencePieceModel model)
    {
        model.Validate(path);
        var root = new ProtobufWriter();
        foreach (var piece in model.Pieces)
        {
            var entry = new ProtobufWriter();
            entry.WriteString(1, piece.Piece);
            entry.WriteFloat(2, piece.Score);
            entry.WriteInt32(3, (int)piece.Type);
            root.WriteMessage(1, entry);
        }

        var trainer = new ProtobufWriter();
        trainer.WriteInt32(3, (int)model.ModelType);
        trainer.WriteInt32(4, model.Pieces.Count);
        trainer.WriteBool(35, model.ByteFallback);
        trainer.WriteInt32(40, model.UnkId);
        trainer.WriteInt32(41, model.BosId);
        trainer.WriteInt32(42, model.EosId);
        trainer.WriteInt32(43, model.PadId);
        root.WriteMessage(2, trainer);

        var normalizer = new ProtobufWriter();
        normalizer.WriteString(1, "identity");
        normalizer.WriteBool(3, model.AddDummyPrefix);
        // SentencePieceTokenizer does not collapse whitespace, so the file says so.
        normalizer.WriteBool(4, false);
        normalizer.WriteBool(5, true);
        root.WriteMessage(3, normalizer);

        File.WriteAllBytes(path, root.ToArray());
    }

    private static SentencePieceModel Parse(byte[] bytes, string path)
    {
        var reader = new ProtobufReader(bytes, 0, bytes.Length, path);
        var pieces = new List<SentencePiece>();
        // Proto2 defaults apply when a message or field is absent (model_type defaults to UNIGRAM).
        var model = new SentencePieceModel(pieces)
        {
            ModelType = SentencePieceModelType.Unigram,
            AddDummyPrefix = true,
            ByteFallback = false,
            UnkId = 0,
            BosId = 1,
            EosId = 2,
            PadId = -1,
        };
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadKey();
            switch (field)
            {
                case 1:
                    reader.Expect(field, wire, ProtobufReader.WireLengthDelimited);
                    pieces.Add(ParsePiece(reader.ReadMessage(), pieces.Count));
                    break;
                case 2:
                    reader.Expect(field, wire, ProtobufReader.WireLengthDelimited);
                    model = ParseTrainerSpec(reader.ReadMessage(), model);
                    break;
                case 3:
                    reader.Expect(field, wire, ProtobufReader.WireLengthDelimited);
                    model = ParseNormalizerSpec(reader.ReadMessage(), model);
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }
        if (pieces.Count == 0) throw new InvalidDataException($"{path}: the model has no pieces (not a SentencePiece model file?).");
        return model;
    }

    private static SentencePiece ParsePiece(ProtobufReader reader, int index)
    {
        int start = reader.Position;
        string? text = null;
        float score = 0;
        var type = PieceType.Normal;
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadKey();
            switch (field)
            {
                case 1: reader.Expect(field, wire, ProtobufReader.WireLengthDelimited); text = reader.ReadString(); break;
                case 2: reader.Expect(field, wire, ProtobufReader.WireFixed32); score = reader.ReadFloat(); break;
                case 3:
                    reader.Expect(field, wire, ProtobufReader.WireVarint);
                    int typeOffset = reader.Position;
                    int value = reader.ReadInt32();
                    if (!Enum.IsDefined((PieceType)value)) throw reader.Error(typeOffset, $"piece {index} has unknown type {value}");
                    type = (PieceType)value;
                    break;
                default: reader.Skip(wire); break;
            }
        }
        return new SentencePiece(text ?? throw reader.Error(start, $"piece {index} has no text"), score, type);
    }

    private static SentencePieceModel ParseTrainerSpec(ProtobufReader reader, SentencePieceModel model)
    {
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadKey();
            if (field is 3 or 35 or 40 or 41 or 42 or 43) reader.Expect(field, wire, ProtobufReader.WireVarint);
            switch (field)
            {
                case 3: model = model with { ModelType = (SentencePieceModelType)reader.ReadInt32() }; break;
                case 35: model = model with { ByteFallback = reader.ReadBool() }; break;
                case 40: model = model with { UnkId = reader.ReadInt32() }; break;
                case 41: model = model with { BosId = reader.ReadInt32() }; break;
                case 42: model = model with { EosId = reader.ReadInt32() }; break;
                case 43: model = model with { PadId = reader.ReadInt32() }; break;
                default: reader.Skip(wire); break; // vocab_size (4) is implied by the piece count
            }
        }
        return model;
    }

    private static SentencePieceModel ParseNormalizerSpec(ProtobufReader reader, SentencePieceModel model)
    {
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadKey();
            if (field == 3)
            {
                reader.Expect(field, wire, ProtobufReader.WireVarint);
                model = model with { AddDummyPrefix = reader.ReadBool() };
            }
            else
            {
                reader.Skip(wire);
            }
        }
        return model;
    }
}
