using FedLlm.Tokenization;
using static FedLlm.Tests.Tokenization.TokenizerTestModels;

namespace FedLlm.Tests.Tokenization;

public class SentencePieceTokenizerTests
{
    private readonly SentencePieceTokenizer _tokenizer = new(HandBuiltSentencePiece());

    [Fact]
    public void MergesByHighestScoreIntoWholeWords()
    {
        var tokens = _tokenizer.Encode("hello world");
        Assert.Equal(new[] { NormalId("▁hello"), NormalId("▁world") }, Ids(tokens));
        Assert.Equal(new EncodedToken(NormalId("▁hello"), 0, 5), tokens[0]);
        Assert.Equal(new EncodedToken(NormalId("▁world"), 5, 11), tokens[1]);
    }

    [Fact]
    public void PiecesSpanningAWordStartStillMergeAcrossIt()
    {
        // A piece "o▁" (a space after a non-space) disables per-word encoding; the whole text merges as one sequence.
        var model = HandBuiltSentencePiece();
        var tokenizer = new SentencePieceTokenizer(model with { Pieces = [.. model.Pieces, new SentencePieceEntry("o▁", -0.5f)] });
        Assert.Equal(new[] { "▁", "hell", "o▁", "w", "orld" }, tokenizer.Encode("hello world").Select(t => tokenizer.IdToToken(t.Id)));
        Assert.Equal("hello world", tokenizer.Decode(Ids(tokenizer.Encode("hello world"))));
    }

    [Fact]
    public void TiesMergeTheLeftmostPairFirst()
    {
        // "▁lll": "ll" can form at positions 1 or 2; the leftmost wins, leaving the last "l" alone.
        Assert.Equal(new[] { NormalId("▁"), NormalId("ll"), NormalId("l") }, Ids(_tokenizer.Encode("lll")));
    }

    [Fact]
    public void UnknownCharsFallBackToUtf8BytePieces()
    {
        var tokens = _tokenizer.Encode("hé");
        // é = C3 A9; byte piece <0xXX> has id 3 + XX; both bytes map back to the char 'é' at [1, 2).
        Assert.Equal(new[] { NormalId("▁"), NormalId("h"), 3 + 0xC3, 3 + 0xA9 }, Ids(tokens));
        Assert.Equal((1, 2), (tokens[2].Start, tokens[2].End));
        Assert.Equal((1, 2), (tokens[3].Start, tokens[3].End));
        Assert.Equal("hé", _tokenizer.Decode(Ids(tokens)));
    }

    [Fact]
    public void WithoutByteFallbackUnknownCharsBecomeUnk()
    {
        var model = HandBuiltSentencePiece();
        var tokenizer = new SentencePieceTokenizer(model with { TrainerSpec = model.TrainerSpec with { ByteFallback = false } });
        Assert.Equal(new[] { NormalId("▁"), NormalId("h"), 0 }, Ids(tokenizer.Encode("h😀")));
    }

    [Fact]
    public void SpecialTokensAreParsedLiterallyAndRestartTheDummyPrefix()
    {
        var tokens = _tokenizer.Encode("<s>hello</s>world");
        Assert.Equal(new[] { 1, NormalId("▁hello"), 2, NormalId("▁world") }, Ids(tokens));
        Assert.Equal(new EncodedToken(1, 0, 3), tokens[0]);
        Assert.Equal(new EncodedToken(2, 8, 12), tokens[2]);
        Assert.Equal("<s>hello</s>world", _tokenizer.Decode(Ids(tokens)));
        Assert.Equal("helloworld", _tokenizer.Decode(Ids(tokens), skipSpecialTokens: true));
    }

    [Fact]
    public void SpecialTokenTextIsPlainTextWhenNotParsed()
    {
        var ids = Ids(_tokenizer.Encode("<s>", parseSpecialTokens: false));
        Assert.DoesNotContain(1, ids);
        Assert.Equal("<s>", _tokenizer.Decode(ids));
    }

    [Fact]
    public void UserDefinedPiecesAreMatchedWholeWithoutRestartingThePrefix()
    {
        var tokenizer = new SentencePieceTokenizer(HandBuiltSentencePiece(withUserDefined: true));
        int tool = tokenizer.TokenToId("<tool>")!.Value;
        var ids = Ids(tokenizer.Encode("hello<tool>hello"));
        Assert.Equal(new[] { NormalId("▁hello"), tool, NormalId("hello") }, ids);
        Assert.Equal("hello<tool>hello", tokenizer.Decode(ids));
        Assert.DoesNotContain(tool, tokenizer.SpecialTokenIds);
    }

    [Fact]
    public void ExposesSpecialIdsAndPieces()
    {
        Assert.Equal((1, 2, 0), (_tokenizer.BosId!.Value, _tokenizer.EosId!.Value, _tokenizer.UnkId!.Value));
        Assert.Null(_tokenizer.PadId);
        Assert.True(_tokenizer.AddBosByDefault);
        Assert.Equal(new HashSet<int> { 0, 1, 2 }, _tokenizer.SpecialTokenIds.ToHashSet());
        Assert.Equal("<0x0A>", _tokenizer.IdToToken(3 + 0x0A));
        Assert.Equal(NormalId("▁world"), _tokenizer.TokenToId("▁world"));
        Assert.Null(_tokenizer.TokenToId("nope"));
        Assert.Equal(FirstNormalId + NormalPieces.Length, _tokenizer.VocabSize);
        Assert.Throws<ArgumentOutOfRangeException>(() => _tokenizer.Decode([_tokenizer.VocabSize]));
    }

    [Theory]
    [MemberData(nameof(Tricky))]
    public void RoundTripsExactlyWhenExtraWhitespaceIsKept(string text)
    {
        var tokens = _tokenizer.Encode(text);
        Assert.Equal(text, _tokenizer.Decode(Ids(tokens)));
        AssertOffsetsWellFormed(text, tokens);
        AssertStreamingMatchesDecode(_tokenizer, Ids(tokens));
    }

    [Theory]
    [MemberData(nameof(Tricky))]
    public void WithExtraWhitespaceRemovalRoundTripEqualsTheTrimmedCollapsedText(string text)
    {
        var tokenizer = new SentencePieceTokenizer(HandBuiltSentencePiece(removeExtraWhitespaces: true));
        var tokens = tokenizer.Encode(text);
        string expected = System.Text.RegularExpressions.Regex.Replace(text.Trim(' '), " {2,}", " ");
        Assert.Equal(expected, tokenizer.Decode(Ids(tokens)));
        AssertOffsetsWellFormed(text, tokens, requireFullCover: false);
    }

    [Fact]
    public void StreamingHoldsBackPartialCharsUntilComplete()
    {
        var ids = Ids(_tokenizer.Encode("h😀"));
        var stream = _tokenizer.CreateStreamDecoder();
        var pieces = ids.Select(stream.Append).ToList();
        // ▁, h, then the 4 bytes of the emoji: nothing appears until the last byte arrives.
        Assert.Equal(new[] { "", "h", "", "", "", "😀" }, pieces);
        Assert.Equal("", stream.Flush());
    }

    [Fact]
    public void StreamingWithSpecialTokensMatchesDecode()
    {
        var ids = new[] { 1 }.Concat(Ids(_tokenizer.Encode("hello wörld"))).Append(2).ToArray();
        AssertStreamingMatchesDecode(_tokenizer, ids);
        AssertStreamingMatchesDecode(_tokenizer, ids, skipSpecialTokens: true);
        // A truncated multi-byte char decodes to U+FFFD in both modes.
        AssertStreamingMatchesDecode(_tokenizer, [3 + 0xE4, 3 + 0xB8, 2, 3 + 0xE4]);
    }

    [Fact]
    public void RejectsUnigramModels()
    {
        var model = HandBuiltSentencePiece();
        var error = Assert.Throws<NotSupportedException>(() =>
            new SentencePieceTokenizer(model with { TrainerSpec = model.TrainerSpec with { ModelType = SentencePieceModelType.Unigram } }, source: "x/tokenizer.model"));
        Assert.Contains("x/tokenizer.model", error.Message);
        Assert.Contains("Unigram", error.Message);
    }

    public static TheoryData<string> Tricky() => new(TrickyStrings);
}
