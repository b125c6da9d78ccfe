using FedLlm.Models.Tokenization;
using static FedLlm.Tests.Tokenization.TinyModels;

namespace FedLlm.Tests.Tokenization;

public sealed class SentencePieceTokenizerTests
{
    private readonly SentencePieceTokenizer _tokenizer = new(ByteFallbackModel());

    [Fact]
    public void Encode_MergesByScoreAndKeepsWordsApart()
    {
        // "▁hello": he(-1), ll(-2), ▁he(-3), llo(-4), ▁hello(-5). "▁world": wo(-6) beats ▁w(-8), then nothing merges.
        Assert.Equal(
            [new(SpaceHello, 0, 5), new(Space, 5, 6), new(Wo, 6, 8), new(R, 8, 9), new(L, 9, 10), new(D, 10, 11)],
            _tokenizer.Encode("hello world"));
    }

    [Fact]
    public void Encode_DummyPrefixIsZeroWidth()
    {
        Assert.Equal([new EncodedToken(Space, 0, 0), new(H, 0, 1), new(ByteId('z'), 1, 2)], _tokenizer.Encode("hz"));
    }

    [Fact]
    public void Encode_EmojiFallsBackToItsUtf8BytesCoveringTheWholeSurrogatePair()
    {
        Assert.Equal(
            [new(SpaceHe, 0, 2), new(ByteId(0xF0), 2, 4), new(ByteId(0x9F), 2, 4), new(ByteId(0x98), 2, 4), new(ByteId(0x80), 2, 4)],
            _tokenizer.Encode("he😀"));
    }

    [Fact]
    public void Encode_Cjk()
    {
        Assert.Equal([new(Space, 0, 0), new(Shijie, 0, 2), new(SpaceHello, 2, 8)], _tokenizer.Encode("世界 hello"));
    }

    [Fact]
    public void Encode_EqualScoresMergeLeftmostFirst()
    {
        Assert.Equal([new(Space, 0, 0), new(Oo, 0, 2), new(O, 2, 3)], _tokenizer.Encode("ooo"));
    }

    [Fact]
    public void Encode_ParsesControlPiecesOnlyWhenAsked()
    {
        // Text after a special token does not start the input, so it gets no dummy prefix.
        Assert.Equal([new(1, 0, 3), new(He, 3, 5), new(Llo, 5, 8), new(2, 8, 12)], _tokenizer.Encode("<s>hello</s>"));
        var literal = _tokenizer.Encode("<s>", parseSpecialTokens: false);
        Assert.Equal([ByteId('<'), ByteId('s'), ByteId('>')], literal.Skip(1).Select(t => t.Id));
        Assert.Equal(Space, literal[0].Id);
    }

    [Fact]
    public void Encode_EmptyTextGivesNoTokens() => Assert.Empty(_tokenizer.Encode(""));

    [Theory]
    [InlineData("hello world")]
    [InlineData(" hello  world ")]
    [InlineData("he😀 世界 ooo")]
    [InlineData("<s>hello</s> z")]
    [InlineData("")]
    public void Decode_InvertsEncode(string text) =>
        Assert.Equal(text, _tokenizer.Decode(_tokenizer.Encode(text).Select(t => t.Id)));

    [Fact]
    public void Decode_PrintsOrSkipsSpecialTokens()
    {
        Assert.Equal("<s> hello</s>", _tokenizer.Decode([1, SpaceHello, 2]));
        // With <s> skipped, " hello" starts the output and loses the dummy-prefix space.
        Assert.Equal("hello", _tokenizer.Decode([1, SpaceHello, 2], skipSpecialTokens: true));
        Assert.Equal("<unk>", _tokenizer.Decode([0]));
        Assert.Equal("", _tokenizer.Decode([0], skipSpecialTokens: true));
    }

    [Fact]
    public void Decode_InvalidOrCutUtf8BecomesReplacementCharacter()
    {
        Assert.Equal("\uFFFDhe", _tokenizer.Decode([ByteId(0xF0), ByteId(0x9F), He]));
        Assert.Equal("\uFFFD", _tokenizer.Decode([ByteId(0xFF)]));
    }

    [Fact]
    public void Decode_RejectsIdsOutsideTheVocabulary() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => _tokenizer.Decode([_tokenizer.VocabSize]));

    [Fact]
    public void StreamDecoder_HoldsBackIncompleteUtf8()
    {
        var decoder = _tokenizer.CreateStreamDecoder();
        Assert.Equal("he", decoder.Append(SpaceHe));
        Assert.Equal("", decoder.Append(ByteId(0xF0)));
        Assert.Equal("", decoder.Append(ByteId(0x9F)));
        Assert.Equal("", decoder.Append(ByteId(0x98)));
        Assert.Equal("😀", decoder.Append(ByteId(0x80)));
        Assert.Equal(" hello", decoder.Append(SpaceHello));
        Assert.Equal("", decoder.Append(ByteId(0xE4)));
        Assert.Equal("\uFFFD", decoder.Flush());
    }

    [Fact]
    public void StreamDecoder_EqualsDecodeForRandomIds()
    {
        var random = new Random(1234);
        for (int trial = 0; trial < 300; trial++)
        {
            // Mostly byte pieces, so partial and invalid UTF-8 sequences are common.
            int[] ids = Enumerable.Range(0, random.Next(0, 12))
                .Select(_ => random.Next(3) == 0 ? random.Next(_tokenizer.VocabSize) : ByteId(random.Next(0x7F, 0x100)))
                .ToArray();
            var decoder = _tokenizer.CreateStreamDecoder();
            string streamed = string.Concat(ids.Select(decoder.Append)) + decoder.Flush();
            Assert.Equal(_tokenizer.Decode(ids), streamed);
        }
    }

    [Fact]
    public void Properties_ComeFromTheModel()
    {
        Assert.Equal(3 + 256 + 19, _tokenizer.VocabSize);
        Assert.Equal(1, _tokenizer.BosId);
        Assert.Equal(2, _tokenizer.EosId);
        Assert.Null(_tokenizer.PadId);
        Assert.Equal(0, _tokenizer.UnkId);
        Assert.True(_tokenizer.AddBosByDefault);
        Assert.Equal([0, 1, 2], _tokenizer.SpecialTokenIds.Order());
        Assert.Equal("▁hello", _tokenizer.IdToToken(SpaceHello));
        Assert.Equal(SpaceHello, _tokenizer.TokenToId("▁hello"));
        Assert.Null(_tokenizer.TokenToId("absent"));
    }

    [Fact]
    public void WithoutByteFallback_UnknownCharactersBecomeUnk()
    {
        var tokenizer = new SentencePieceTokenizer(ByteFallbackModel() with { ByteFallback = false });
        Assert.Equal([new EncodedToken(SpaceHe, 0, 2), new(0, 2, 4)], tokenizer.Encode("he😀"));
    }

    [Fact]
    public void UnigramModels_AreRefused() =>
        Assert.Throws<NotSupportedException>(() => new SentencePieceTokenizer(ByteFallbackModel() with { ModelType = SentencePieceModelType.Unigram }));
}
