using System.Text;

namespace FedLlm.Tokenization;

/// <summary>
/// Imports a llama2.c tokenizer file (tokenizer.bin / tok512.bin) as a SentencePiece BPE model.
/// Layout (llama2.c run.c): int32 max_token_length, then per token float32 score, int32 byte length, UTF-8 bytes.
/// Ids 0, 1, 2 are &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt; (llama2.c's export stores the latter two wrapped in newlines);
/// &lt;0xXX&gt; pieces are byte fallbacks; the export replaced U+2581 by a space, which is mapped back here.
/// The resulting model encodes like llama2.c's encode(): dummy prefix, score-driven merges, bytes for unknown chars.
/// </summary>
public static class Llama2cTokenizerReader
{
    public static SentencePieceModel Read(string tokBinPath)
    {
        if (!File.Exists(tokBinPath)) throw new FileNotFoundException($"llama2.c tokenizer file not found: {tokBinPath}", tokBinPath);
        using var stream = File.OpenRead(tokBinPath);
        using var reader = new BinaryReader(stream);
        long length = stream.Length;
        if (length < 4) throw new InvalidDataException($"{tokBinPath}: too short for a llama2.c tokenizer header ({length} bytes).");
        int maxTokenLength = reader.ReadInt32();
        if (maxTokenLength <= 0) throw new InvalidDataException($"{tokBinPath}: max_token_length {maxTokenLength} is not positive.");

        var pieces = new List<SentencePieceEntry>();
        while (stream.Position < length)
        {
            int id = pieces.Count;
            if (length - stream.Position < 8) throw new InvalidDataException($"{tokBinPath}: token {id} is truncated at byte {stream.Position}.");
            float score = reader.ReadSingle();
            int byteLength = reader.ReadInt32();
            if (byteLength < 0 || byteLength > maxTokenLength || byteLength > length - stream.Position)
                throw new InvalidDataException($"{tokBinPath}: token {id} at byte {stream.Position - 4} has invalid length {byteLength} (max_token_length {maxTokenLength}).");
            string text = Encoding.UTF8.GetString(reader.ReadBytes(byteLength));
            pieces.Add(ToEntry(id, text, score));
        }
        if (pieces.Count < 3) throw new InvalidDataException($"{tokBinPath}: holds {pieces.Count} tokens; expected at least <unk>, <s>, </s>.");

        var trainer = new SentencePieceTrainerSpec
        {
            ModelType = SentencePieceModelType.Bpe,
            VocabSize = pieces.Count,
            ByteFallback = true,
            UnkId = 0,
            BosId = 1,
            EosId = 2,
            PadId = -1,
        };
        // llama2.c never collapses spaces but always adds the dummy prefix.
        var normalizer = new SentencePieceNormalizerSpec { AddDummyPrefix = true, RemoveExtraWhitespaces = false, EscapeWhitespaces = true };
        return new SentencePieceModel(pieces, trainer, normalizer);
    }

    private static SentencePieceEntry ToEntry(int id, string text, float score) => id switch
    {
        0 => new SentencePieceEntry("<unk>", score, SentencePieceType.Unknown),
        1 => new SentencePieceEntry("<s>", score, SentencePieceType.Control),
        2 => new SentencePieceEntry("</s>", score, SentencePieceType.Control),
        _ when SentencePieceTokenizer.TryParseBytePiece(text, out _) => new SentencePieceEntry(text, score, SentencePieceType.Byte),
        _ => new SentencePieceEntry(text.Replace(' ', '\u2581'), score),
    };
}
