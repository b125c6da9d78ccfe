using FedLlm.Tokenization;

namespace FedLlm.Tests.Tokenization;

/// <summary>Small hand-built tokenizers with known answers, and checks every tokenizer must satisfy.</summary>
internal static class TokenizerTestModels
{
    /// <summary>Ids 0..2 unk/bos/eos, 3..258 the byte pieces &lt;0x00&gt;..&lt;0xFF&gt;, then these pieces with their scores.</summary>
    public static readonly (string Piece, float Score)[] NormalPieces =
    [
        ("▁", -20), ("h", -21), ("e", -22), ("l", -23), ("o", -24), ("w", -25), ("r", -26), ("d", -27),
        ("ll", -1), ("he", -2), ("▁w", -3), ("or", -4), ("hell", -5), ("hello", -6), ("▁hello", -7),
        ("orl", -8), ("orld", -9), ("▁world", -10),
    ];

    public const int FirstNormalId = 259;

    public static SentencePieceModel HandBuiltSentencePiece(bool removeExtraWhitespaces = false, bool withUserDefined = false)
    {
        var pieces = new List<SentencePieceEntry>
        {
            new("<unk>", 0, SentencePieceType.Unknown),
            new("<s>", 0, SentencePieceType.Control),
            new("</s>", 0, SentencePieceType.Control),
        };
        for (int b = 0; b < 256; b++) pieces.Add(new SentencePieceEntry($"<0x{b:X2}>", 0, SentencePieceType.Byte));
        pieces.AddRange(NormalPieces.Select(p => new SentencePieceEntry(p.Piece, p.Score)));
        if (withUserDefined) pieces.Add(new SentencePieceEntry("<tool>", 0, SentencePieceType.UserDefined));
        return new SentencePieceModel(
            pieces,
            new SentencePieceTrainerSpec { ModelType = SentencePieceModelType.Bpe, VocabSize = pieces.Count, ByteFallback = true, UnkId = 0, BosId = 1, EosId = 2, PadId = -1 },
            new SentencePieceNormalizerSpec { AddDummyPrefix = true, RemoveExtraWhitespaces = removeExtraWhitespaces, EscapeWhitespaces = true });
    }

    public static int NormalId(string piece) => FirstNormalId + Array.FindIndex(NormalPieces, p => p.Piece == piece);

    /// <summary>The 256 byte chars as ids 0..255 (in byte order) plus a few merges; merges in "a b" form.</summary>
    public static string HandBuiltTokenizerJson(string preTokenizerJson = """{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}""",
        string extraMerges = "", string addedTokens = "", bool arrayMerges = false, string modelExtras = "", string extraVocab = "")
    {
        var vocab = new List<string>();
        for (int b = 0; b < 256; b++) vocab.Add(ByteLevelAlphabet.ByteToChar((byte)b).ToString());
        var merges = new List<(string, string)> { ("h", "i"), ("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("r", "e"), ("Ġthe", "re") };
        foreach (string extra in extraMerges.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = extra.Split(' ');
            merges.Add((parts[0], parts[1]));
        }
        foreach (var (left, right) in merges) if (!vocab.Contains(left + right)) vocab.Add(left + right);
        vocab.AddRange(extraVocab.Split(';', StringSplitOptions.RemoveEmptyEntries));
        string vocabJson = string.Join(", ", vocab.Select((t, i) => $"{System.Text.Json.JsonSerializer.Serialize(t)}: {i}"));
        string mergesJson = string.Join(", ", merges.Select(m => arrayMerges
            ? $"[{System.Text.Json.JsonSerializer.Serialize(m.Item1)}, {System.Text.Json.JsonSerializer.Serialize(m.Item2)}]"
            : System.Text.Json.JsonSerializer.Serialize(m.Item1 + " " + m.Item2)));
        return $$"""
            {
              "version": "1.0",
              "added_tokens": [{{addedTokens}}],
              "normalizer": null,
              "pre_tokenizer": {{preTokenizerJson}},
              "post_processor": null,
              "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
              "model": {"type": "BPE", "dropout": null, "unk_token": null, {{modelExtras}} "vocab": { {{vocabJson}} }, "merges": [ {{mergesJson}} ]}
            }
            """;
    }

    /// <summary>Strings that exercise multi-byte UTF-8: accents, combining marks, CJK, emoji (incl. ZWJ sequences), newlines, tabs.</summary>
    public static readonly string[] TrickyStrings =
    [
        "hello world",
        "  leading spaces and  double  spaces ",
        "Café naïve résumé — “quotes” ‘single’",
        "e\u0301 a\u0308 combining marks",
        "中文字符测试，日本語のテキスト、한국어 텍스트",
        "emoji 😀👍🏽 family 👨‍👩‍👧 flag 🇩🇪",
        "line one\nline two\r\n\ttabbed\n\n",
        "numbers 1234567 and symbols #$%^&*()[]{}<>",
        "math 𝐀𝐁 and ancient 𓀀",
        "",
        " ",
        "\n",
    ];

    /// <summary>Offsets lie inside the text, never go backwards, and together cover every non-space char.</summary>
    public static void AssertOffsetsWellFormed(string text, IReadOnlyList<EncodedToken> tokens, bool requireFullCover = true)
    {
        var covered = new bool[text.Length];
        int previousStart = 0, previousEnd = 0;
        foreach (var token in tokens)
        {
            Assert.InRange(token.Start, 0, text.Length);
            Assert.InRange(token.End, token.Start, text.Length);
            Assert.True(token.Start >= previousStart, $"token {token} starts before the previous one ({previousStart})");
            Assert.True(token.End >= previousEnd, $"token {token} ends before the previous one ({previousEnd})");
            previousStart = token.Start;
            previousEnd = token.End;
            for (int i = token.Start; i < token.End; i++) covered[i] = true;
        }
        for (int i = 0; i < text.Length; i++)
        {
            if (requireFullCover || text[i] != ' ') Assert.True(covered[i], $"char {i} ('{text[i]}') of the text is covered by no token");
        }
    }

    /// <summary>Feeding ids one by one yields complete text at each step and the same text as full decoding.</summary>
    public static void AssertStreamingMatchesDecode(ITokenizer tokenizer, IReadOnlyList<int> ids, bool skipSpecialTokens = false)
    {
        var stream = tokenizer.CreateStreamDecoder(skipSpecialTokens);
        var text = new System.Text.StringBuilder();
        foreach (int id in ids)
        {
            string piece = stream.Append(id);
            if (piece.Length > 0) Assert.False(char.IsHighSurrogate(piece[^1]), "streaming emitted half a surrogate pair");
            text.Append(piece);
        }
        text.Append(stream.Flush());
        Assert.Equal(tokenizer.Decode(ids, skipSpecialTokens), text.ToString());
    }

    public static int[] Ids(IReadOnlyList<EncodedToken> tokens) => tokens.Select(t => t.Id).ToArray();
}
