using System.Buffers.Binary;
using System.Text;

namespace FedLlm.Models.Tokenization;

/// <summary>
/// Imports a llama2.c <c>tokenizer.bin</c> (e.g. tok512.bin): int32 max_token_length, then per token float32 score,
/// int32 byte length and the UTF-8 bytes, until end of file. llama2.c's export wrote '▁' as ' ' and BOS/EOS as
/// "\n&lt;s&gt;\n" / "\n&lt;/s&gt;\n"; both are undone here so the result matches the original SentencePiece vocabulary.
/// </summary>
public static class Llama2cTokenizerReader
{
    private const int UnkId = 0, BosId = 1, EosId = 2;

    public static SentencePieceModel Read(string tokBinPath, int? vocabSize = null)
    {
        if (vocabSize is <= EosId) throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, "must leave room for <unk>, <s>, </s>.");
        byte[] bytes = File.ReadAllBytes(tokBinPath);
        if (bytes.Length < 4) throw new InvalidDataException($"{tokBinPath}: {bytes.Length} bytes is too short for the int32 max_token_length header.");
        int maxTokenLength = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        var utf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
        var pieces = new List<SentencePiece>();
        int offset = 4;
        while (offset < bytes.Length && (vocabSize is null || pieces.Count < vocabSize))
        {
            int id = pieces.Count;
            if (bytes.Length - offset < 8)
                throw new InvalidDataException($"{tokBinPath}: token {id} at byte offset {offset} is truncated (needs score and length, {bytes.Length - offset} bytes left).");
            float score = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(offset));
            int length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(offset + 4));
            if (length < 0 || length > bytes.Length - offset - 8)
                throw new InvalidDataException($"{tokBinPath}: token {id} at byte offset {offset} has length {length}, but only {bytes.Length - offset - 8} bytes remain.");
            if (length > maxTokenLength)
                throw new InvalidDataException($"{tokBinPath}: token {id} at byte offset {offset} has length {length} > max_token_length {maxTokenLength}.");
            string raw;
            try
            {
                raw = utf8.GetString(bytes, offset + 8, length);
            }
            catch (DecoderFallbackException)
            {
                throw new InvalidDataException($"{tokBinPath}: token {id} at byte offset {offset} is not valid UTF-8.");
            }
            pieces.Add(ToPiece(id, raw, score));
            offset += 8 + length;
        }
        if (vocabSize is not null && pieces.Count < vocabSize)
            throw new InvalidDataException($"{tokBinPath}: expected {vocabSize} tokens but the file ends after {pieces.Count}.");
        if (pieces.Count <= EosId)
            throw new InvalidDataException($"{tokBinPath}: only {pieces.Count} tokens; <unk>, <s>, </s> are required at ids 0-2.");

        return new SentencePieceModel(pieces)
        {
            ModelType = SentencePieceModelType.Bpe,
            AddDummyPrefix = true,
            ByteFallback = true,
            UnkId = UnkId,
            BosId = BosId,
            EosId = EosId,
            PadId = -1,
        };
    }

    private static SentencePiece ToPiece(int id, string raw, float score)
    {
        if (id == UnkId) return new SentencePiece(raw, score, PieceType.Unknown);
        if (id is BosId or EosId) return new SentencePiece(raw.Trim('\n'), score, PieceType.Control);
        if (ByteFallbackPieces.TryParse(raw, out _)) return new SentencePiece(raw, score, PieceType.Byte);
        return new SentencePiece(raw.Replace(' ', SentencePieceTokenizer.SpaceSymbol), score, PieceType.Normal);
    }
}
