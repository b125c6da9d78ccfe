using FedLlm.Tokenization;
using static FedLlm.Tests.Tokenization.TokenizerTestModels;

namespace FedLlm.Tests.Tokenization;

public class ByteLevelBpeTokenizerTests
{
    private const string Llama3Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private static ByteLevelBpeTokenizer Create(string json) => new(TokenizerJsonReader.Parse(json, "test/tokenizer.json"));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MergesByRankWithStringOrArrayMerges(bool arrayMerges)
    {
        var tokenizer = Create(HandBuiltTokenizerJson(arrayMerges: arrayMerges));
        int hi = tokenizer.TokenToId("hi")!.Value, there = tokenizer.TokenToId("Ġthere")!.Value, he = tokenizer.TokenToId("he")!.Value;
        var tokens = tokenizer.Encode("hi there");
        Assert.Equal(new[] { new EncodedToken(hi, 0, 2), new EncodedToken(there, 2, 8) }, tokens);
        Assert.Equal(new[] { (int)'t', he }, Ids(tokenizer.Encode("the")));
        Assert.Equal(256 + 6, tokenizer.VocabSize);
        Assert.Equal("Ġthere", tokenizer.IdToToken(there));
    }

    [Fact]
    public void MultiByteCharsSplitIntoByteTokensThatShareTheCharsSpan()
    {
        var tokenizer = Create(HandBuiltTokenizerJson());
        var tokens = tokenizer.Encode("é😀");
        // Byte b has id b in the hand-built vocab: é = C3 A9, 😀 = F0 9F 98 80 (one pre-token, no merges apply).
        Assert.Equal(new[] { 0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80 }, Ids(tokens));
        Assert.Equal(new[] { (0, 1), (0, 1), (1, 3), (1, 3), (1, 3), (1, 3) }, tokens.Select(t => (t.Start, t.End)));
        Assert.Equal("é😀", tokenizer.Decode(Ids(tokens)));
    }

    [Fact]
    public void SplitPreTokenizerWithTheLlama3PatternIsolatesDigitTriples()
    {
        string pre = $$"""
            {"type": "Sequence", "pretokenizers": [
              {"type": "Split", "pattern": {"Regex": {{System.Text.Json.JsonSerializer.Serialize(Llama3Pattern)}}}, "behavior": "Isolated", "invert": false},
              {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]}
            """;
        var split = Create(HandBuiltTokenizerJson(pre, extraMerges: "3 4;1 2;4 5"));
        var unsplit = Create(HandBuiltTokenizerJson("""{"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}""", extraMerges: "3 4;1 2;4 5"));
        // "123|45" under the Llama-3 pattern; one word without it, where "34" (rank first) wins.
        Assert.Equal(new[] { "12", "3", "45" }, split.Encode("12345").Select(t => split.IdToToken(t.Id)));
        Assert.Equal(new[] { "12", "34", "5" }, unsplit.Encode("12345").Select(t => unsplit.IdToToken(t.Id)));
    }

    [Fact]
    public void DigitsPreTokenizerIsolatesEachDigit()
    {
        string pre = """{"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true}, {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}]}""";
        var tokenizer = Create(HandBuiltTokenizerJson(pre, extraMerges: "1 2"));
        Assert.Equal(new[] { (int)'1', (int)'2' }, Ids(tokenizer.Encode("12")));
    }

    [Fact]
    public void AddPrefixSpaceGivesTheFirstWordAPrefixWithAnEmptySpan()
    {
        var tokenizer = Create(HandBuiltTokenizerJson("""{"type": "ByteLevel", "add_prefix_space": true, "use_regex": true}"""));
        var tokens = tokenizer.Encode("there");
        Assert.Equal(new[] { new EncodedToken(tokenizer.TokenToId("Ġthere")!.Value, 0, 5) }, tokens);
    }

    [Fact]
    public void IgnoreMergesTakesWholeVocabularyWords()
    {
        // "there" is in the vocab but merges alone only reach t + he + re.
        var withIgnore = Create(HandBuiltTokenizerJson(modelExtras: "\"ignore_merges\": true,", extraVocab: "there"));
        var withoutIgnore = Create(HandBuiltTokenizerJson(extraVocab: "there"));
        Assert.Equal(new[] { "there" }, withIgnore.Encode("there").Select(t => withIgnore.IdToToken(t.Id)));
        Assert.Equal(new[] { "t", "he", "re" }, withoutIgnore.Encode("there").Select(t => withoutIgnore.IdToToken(t.Id)));
    }

    [Fact]
    public void AddedTokensAreMatchedLiterallySpecialOnesOnlyWhenParsing()
    {
        string added = """
            {"id": 300, "content": "<|im_start|>", "special": true}, {"id": 301, "content": "<|im_end|>", "special": true},
            {"id": 302, "content": "<think>", "special": false}
            """;
        var tokenizer = Create(HandBuiltTokenizerJson(addedTokens: added));
        string text = "<|im_start|>hi<think> there<|im_end|>";
        var tokens = tokenizer.Encode(text);
        Assert.Equal(new[] { 300, tokenizer.TokenToId("hi")!.Value, 302, tokenizer.TokenToId("Ġthere")!.Value, 301 }, Ids(tokens));
        Assert.Equal(new EncodedToken(300, 0, 12), tokens[0]);
        Assert.Equal(new EncodedToken(301, 27, 37), tokens[^1]);
        Assert.Equal(text, tokenizer.Decode(Ids(tokens)));
        Assert.Equal("hi<think> there", tokenizer.Decode(Ids(tokens), skipSpecialTokens: true));
        Assert.Equal(new HashSet<int> { 300, 301 }, tokenizer.SpecialTokenIds.ToHashSet());
        Assert.Equal(303, tokenizer.VocabSize);

        var plain = tokenizer.Encode(text, parseSpecialTokens: false);
        Assert.DoesNotContain(300, Ids(plain));
        Assert.Contains(302, Ids(plain));
        Assert.Equal(text, tokenizer.Decode(Ids(plain)));
    }

    [Fact]
    public void BosAndEosComeFromTheConfigOrTheTemplate()
    {
        string added = """{"id": 300, "content": "<|begin_of_text|>", "special": true}, {"id": 301, "content": "<|end_of_text|>", "special": true}""";
        string json = HandBuiltTokenizerJson(addedTokens: added).Replace("\"post_processor\": null", """
            "post_processor": {"type": "Sequence", "processors": [
              {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
              {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
               "pair": [], "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [300], "tokens": ["<|begin_of_text|>"]}}}]}
            """);
        var fromTemplate = new ByteLevelBpeTokenizer(TokenizerJsonReader.Parse(json, "t"));
        Assert.Equal((300, 301), (fromTemplate.BosId!.Value, fromTemplate.EosId!.Value));
        Assert.True(fromTemplate.AddBosByDefault);
        Assert.Null(fromTemplate.PadId);

        var fromConfig = new ByteLevelBpeTokenizer(TokenizerJsonReader.Parse(json, "t",
            new TokenizerConfig { AddBosToken = false, EosTokenId = 300, PadToken = "<|end_of_text|>" }));
        Assert.False(fromConfig.AddBosByDefault);
        Assert.Equal((300, 301), (fromConfig.EosId!.Value, fromConfig.PadId!.Value));
    }

    [Theory]
    [MemberData(nameof(Tricky))]
    public void RoundTripsTrickyTextExactly(string text)
    {
        var tokenizer = Create(HandBuiltTokenizerJson());
        var tokens = tokenizer.Encode(text);
        Assert.Equal(text, tokenizer.Decode(Ids(tokens)));
        AssertOffsetsWellFormed(text, tokens);
        AssertStreamingMatchesDecode(tokenizer, Ids(tokens));
    }

    [Fact]
    public void RejectsWhatItCannotHonour()
    {
        var unigram = Assert.Throws<NotSupportedException>(() => TokenizerJsonReader.Parse("""{"model": {"type": "Unigram", "vocab": []}, "decoder": {"type": "ByteLevel"}}""", "m/tokenizer.json"));
        Assert.Contains("m/tokenizer.json", unigram.Message);
        Assert.Contains("Unigram", unigram.Message);

        var metaspace = Assert.Throws<NotSupportedException>(() => TokenizerJsonReader.Parse(
            """{"pre_tokenizer": {"type": "Metaspace"}, "model": {"type": "BPE", "vocab": {}, "merges": []}}""", "m/tokenizer.json"));
        Assert.Contains("tokenizer.model", metaspace.Message);

        var malformed = Assert.Throws<InvalidDataException>(() => TokenizerJsonReader.Parse("{\"model\": {", "m/tokenizer.json"));
        Assert.Contains("m/tokenizer.json", malformed.Message);

        var badMerge = Assert.Throws<InvalidDataException>(() => Create(HandBuiltTokenizerJson().Replace("\"h i\"", "\"h\"")));
        Assert.Contains("model.merges[0]", badMerge.Message);

        var outOfVocab = Assert.Throws<InvalidDataException>(() => Create(HandBuiltTokenizerJson().Replace("\"h i\"", "\"h zz\"")));
        Assert.Contains("merge 0", outOfVocab.Message);
    }

    /// <summary>Found by review of the fuzz target: the id tables were sized by the largest id, so a one-entry file could overflow or demand gigabytes.</summary>
    [Theory]
    [InlineData(2147483647)]
    [InlineData(2000000000)]
    public void AnIdFarBeyondTheEntriesIsRefused(int id)
    {
        string json = """{"model": {"type": "BPE", "vocab": {"a": ID}}, "decoder": {"type": "ByteLevel"}}""";
        string Vocab(int value) => json.Replace("ID", value.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var error = Assert.Throws<InvalidDataException>(() => Create(Vocab(id)));
        Assert.Contains($"has id {id}", error.Message);
        // Holes below the limit stay allowed: some files skip ids.
        Assert.Equal(1001, Create(Vocab(1000)).VocabSize);
    }

    public static TheoryData<string> Tricky() => new(TrickyStrings);
}
