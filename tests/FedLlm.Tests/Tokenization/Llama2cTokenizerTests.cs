using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using FedLlm.Models.Tokenization;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Tokenization;

/// <summary>The stories260K tok512.bin vocabulary against a plain re-implementation of llama2.c's encode().</summary>
public sealed class Llama2cTokenizerTests
{
    private static string TokPath => SharedData.PathOf("models/stories260K/tok512.bin");

    [SharedDataFact]
    public void Reader_RestoresSentencePieceVocabulary()
    {
        var model = Llama2cTokenizerReader.Read(TokPath);

        Assert.Equal(512, model.Pieces.Count);
        Assert.Equal(new SentencePiece("<unk>", 0, PieceType.Unknown), model.Pieces[0]);
        Assert.Equal(new SentencePiece("<s>", 0, PieceType.Control), model.Pieces[1]);
        Assert.Equal(new SentencePiece("</s>", 0, PieceType.Control), model.Pieces[2]);
        Assert.Equal(new SentencePiece("<0x00>", 0, PieceType.Byte), model.Pieces[3]);
        Assert.Equal(new SentencePiece("<0xFF>", 0, PieceType.Byte), model.Pieces[258]);
        Assert.Equal(new SentencePiece("▁t", 0, PieceType.Normal), model.Pieces[259]);
        Assert.Equal(new SentencePiece("he", -1, PieceType.Normal), model.Pieces[260]);
        Assert.True(model.ByteFallback);
        Assert.True(model.AddDummyPrefix);
        Assert.Equal((0, 1, 2, -1), (model.UnkId, model.BosId, model.EosId, model.PadId));
        Assert.Equal(300, Llama2cTokenizerReader.Read(TokPath, vocabSize: 300).Pieces.Count);
    }

    [SharedDataFact]
    public void Reader_TruncatedFile_NamesTokenAndOffset()
    {
        using var temp = new TempDirectory();
        string path = temp.File("tok.bin");
        File.WriteAllBytes(path, File.ReadAllBytes(TokPath)[..101]);

        var error = Assert.Throws<InvalidDataException>(() => Llama2cTokenizerReader.Read(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("byte offset", error.Message);
    }

    [SharedDataFact]
    public void Encode_OnceUponATime_MatchesLlama2c()
    {
        var tokenizer = new SentencePieceTokenizer(Llama2cTokenizerReader.Read(TokPath));
        var reference = new Llama2cReferenceEncoder(TokPath);
        const string text = "Once upon a time";

        var tokens = tokenizer.Encode(text);

        Assert.Equal(reference.Encode(text), tokens.Select(t => t.Id));
        AssertOffsetsCoverPieces(tokenizer, text, tokens);
    }

    [SharedDataFact]
    public void Encode_CorpusSamples_MatchLlama2cWithoutChunkingShortcut()
    {
        var tokenizer = new SentencePieceTokenizer(Llama2cTokenizerReader.Read(TokPath));
        var reference = new Llama2cReferenceEncoder(TokPath);
        var samples = WikiSamples(count: 200, length: 300).ToList();
        Assert.Equal(200, samples.Count);

        foreach (string text in samples)
        {
            var tokens = tokenizer.Encode(text, parseSpecialTokens: false);
            Assert.Equal(reference.Encode(text), tokens.Select(t => t.Id));
            AssertOffsetsCoverPieces(tokenizer, text, tokens);
        }
    }

    /// <summary>
    /// The exact round-trip rule: Decode(Encode(x)) == x for any valid UTF-16 text, except that a literal '▁'
    /// (U+2581) comes back as ' '. A space is lost only when special tokens are skipped in front of it: e.g.
    /// "&lt;s&gt; Once" → [&lt;s&gt;, ▁Once] decodes with skipSpecialTokens to "Once", because a space that
    /// starts the output is taken for the dummy prefix.
    /// </summary>
    [SharedDataFact]
    public void DecodeOfEncode_RoundTripsInstructionAndPreferenceData()
    {
        var tokenizer = new SentencePieceTokenizer(Llama2cTokenizerReader.Read(TokPath));
        var texts = InstructionTexts().ToList();
        Assert.Contains(texts, t => t.Any(c => char.IsSurrogate(c)));          // emoji and other astral characters
        Assert.Contains(texts, t => t.Any(c => c is >= '\u0900' and <= '\u097F')); // Devanagari
        // The demo data has no CJK, so add some (plus emoji sequences, a lone surrogate-free mix and edge spacing).
        texts.AddRange(["你好，世界！今天天气很好。", "こんにちは 世界 🌏", "한국어 텍스트", "👩‍💻 codes 🚀🚀", " leading", "trailing  ", "\ttab\nnewline\r\n"]);

        foreach (string text in texts)
        {
            int[] ids = tokenizer.Encode(text).Select(t => t.Id).ToArray();
            Assert.Equal(text.Replace('▁', ' '), tokenizer.Decode(ids));

            var stream = tokenizer.CreateStreamDecoder();
            Assert.Equal(tokenizer.Decode(ids), string.Concat(ids.Select(stream.Append)) + stream.Flush());
        }

        Assert.Equal("a  b", tokenizer.Decode(tokenizer.Encode("a ▁b").Select(t => t.Id))); // '▁' comes back as ' '
        var withBos = tokenizer.Encode("<s> Once").Select(t => t.Id).ToArray();
        Assert.Equal("<s> Once", tokenizer.Decode(withBos));
        Assert.Equal("Once", tokenizer.Decode(withBos, skipSpecialTokens: true));
        Assert.Equal("  Once", tokenizer.Decode(tokenizer.Encode("  Once").Select(t => t.Id)));
    }

    [SharedDataFact]
    public void Encode_ParsesBosAndEosText()
    {
        var tokenizer = new SentencePieceTokenizer(Llama2cTokenizerReader.Read(TokPath));

        var ids = tokenizer.Encode("<s>Once upon a time</s>").Select(t => t.Id).ToList();
        var literal = tokenizer.Encode("<s>Once upon a time</s>", parseSpecialTokens: false).Select(t => t.Id).ToList();

        Assert.Equal(1, ids[0]);
        Assert.Equal(2, ids[^1]);
        Assert.DoesNotContain(1, literal);
        Assert.DoesNotContain(2, literal);
        Assert.Equal("<s>Once upon a time</s>", tokenizer.Decode(ids));
        Assert.Equal("Once upon a time", tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    /// <summary>Each Normal token's text (spaces as '▁', plus the dummy prefix for the first) equals its piece.</summary>
    private static void AssertOffsetsCoverPieces(ITokenizer tokenizer, string text, IReadOnlyList<EncodedToken> tokens)
    {
        int previousEnd = 0;
        for (int i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            Assert.InRange(token.Start, 0, text.Length);
            Assert.InRange(token.End, token.Start, text.Length);
            Assert.True(token.Start >= previousEnd || token.Start == tokens[i - 1].Start, $"token {i} overlaps its predecessor");
            previousEnd = token.End;
            string piece = tokenizer.IdToToken(token.Id);
            if (piece.StartsWith("<0x", StringComparison.Ordinal)) continue;
            string covered = (i == 0 ? "▁" : "") + text[token.Start..token.End].Replace(' ', '▁');
            Assert.Equal(piece, i == 0 && !piece.StartsWith('▁') ? covered[1..] : covered);
        }
        Assert.Equal(text.Length, previousEnd);
    }

    /// <summary>Consecutive windows of wiki_demo.txt lines (the file has few, long lines), never splitting a surrogate pair.</summary>
    private static IEnumerable<string> WikiSamples(int count, int length)
    {
        var lines = File.ReadLines(SharedData.PathOf("data/corpus/wiki_demo.txt")).Where(l => l.Length > 0).ToList();
        int produced = 0;
        for (int window = 0; produced < count && window < 100; window++)
        {
            foreach (string line in lines)
            {
                int start = window * length;
                if (start >= line.Length) continue;
                if (start > 0 && char.IsLowSurrogate(line[start])) start++;
                int end = Math.Min(line.Length, start + length);
                if (end < line.Length && char.IsHighSurrogate(line[end - 1])) end--;
                yield return line[start..end];
                if (++produced == count) yield break;
            }
        }
    }

    private static IEnumerable<string> InstructionTexts()
    {
        using var alpaca = JsonDocument.Parse(File.ReadAllText(SharedData.PathOf("data/alpaca/alpaca_en_demo.json")));
        foreach (var record in alpaca.RootElement.EnumerateArray())
        {
            foreach (string field in new[] { "instruction", "input", "output" }) yield return record.GetProperty(field).GetString()!;
        }
        using var dpo = JsonDocument.Parse(File.ReadAllText(SharedData.PathOf("data/dpo/dpo_en_demo.json")));
        foreach (var record in dpo.RootElement.EnumerateArray())
        {
            foreach (var turn in record.GetProperty("conversations").EnumerateArray()) yield return turn.GetProperty("value").GetString()!;
            yield return record.GetProperty("chosen").GetProperty("value").GetString()!;
            yield return record.GetProperty("rejected").GetProperty("value").GetString()!;
        }
    }

    /// <summary>
    /// A literal re-implementation of llama2.c's encode() (run.c): raw .bin strings, a " " dummy prefix token,
    /// per-code-point lookup with byte fallback to id byte+3, then O(n²) greedy merging of the best-scoring
    /// adjacent pair over the whole text (strictly greater score wins, so leftmost on ties). No chunking.
    /// </summary>
    private sealed class Llama2cReferenceEncoder
    {
        private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
        private readonly List<string> _vocab = [];
        private readonly List<float> _scores = [];

        public Llama2cReferenceEncoder(string path)
        {
            byte[] bytes = File.ReadAllBytes(path);
            for (int offset = 4; offset < bytes.Length;)
            {
                _scores.Add(BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(offset)));
                int length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(offset + 4));
                string token = Encoding.UTF8.GetString(bytes, offset + 8, length);
                _ids.TryAdd(token, _vocab.Count);
                _vocab.Add(token);
                offset += 8 + length;
            }
        }

        public List<int> Encode(string text)
        {
            var tokens = new List<int>();
            if (text.Length > 0) tokens.Add(_ids[" "]);
            for (int i = 0; i < text.Length; i += char.IsSurrogatePair(text, i) ? 2 : 1)
            {
                string codePoint = char.IsSurrogatePair(text, i) ? text.Substring(i, 2) : text.Substring(i, 1);
                if (_ids.TryGetValue(codePoint, out int id)) tokens.Add(id);
                else tokens.AddRange(Encoding.UTF8.GetBytes(codePoint).Select(b => b + 3));
            }
            while (true)
            {
                float bestScore = -1e10f;
                int bestId = -1, bestIndex = -1;
                for (int i = 0; i + 1 < tokens.Count; i++)
                {
                    if (_ids.TryGetValue(_vocab[tokens[i]] + _vocab[tokens[i + 1]], out int id) && _scores[id] > bestScore)
                    {
                        bestScore = _scores[id];
                        bestId = id;
                        bestIndex = i;
                    }
                }
                if (bestIndex < 0) return tokens;
                tokens[bestIndex] = bestId;
                tokens.RemoveAt(bestIndex + 1);
            }
        }
    }
}
