using FedLlm.Tokenization;
using static FedLlm.Tests.Tokenization.TokenizerTestModels;

namespace FedLlm.Tests.Tokenization;

public class ByteLevelBpeTrainerTests
{
    private static readonly string[] Corpus =
    [
        "the cat sat on the mat", "the dog sat on the log", "a cat and a dog", "the the the",
        "Once upon a time there was a little girl.", "中文 中文 中文", "emoji 😀 emoji 😀",
    ];

    private static readonly string[] Specials = ["<s>", "</s>", "<|im_start|>", "<|im_end|>"];

    [Fact]
    public void IdsAreSpecialsThenBytesThenMergesInFrequencyOrder()
    {
        var definition = ByteLevelBpeTrainer.TrainDefinition(Corpus, 300, Specials, new ByteLevelBpeTrainerOptions { BosToken = "<s>" });
        Assert.Equal(0, definition.Vocab["<s>"]);
        Assert.Equal(3, definition.Vocab["<|im_end|>"]);
        Assert.Equal(4 + 'a', definition.Vocab["a"]);
        Assert.Equal(4 + 0x20, definition.Vocab["Ġ"]);
        // "t h" and "h e" both occur 8 times (counting word frequencies); the tie goes to the ordinally smaller "h e",
        // after which "t he" has count 8 and is next.
        Assert.Equal(("h", "e"), definition.Merges[0]);
        Assert.Equal(("t", "he"), definition.Merges[1]);
        Assert.Contains(("Ġ", "the"), definition.Merges);
        Assert.True(definition.Vocab.Count <= 300);
        Assert.Equal(definition.Vocab.Count, definition.Vocab.Values.Distinct().Count());
    }

    [Fact]
    public void TrainingIsDeterministic()
    {
        string first = ByteLevelBpeTrainer.Train(Corpus, 320, Specials);
        string second = ByteLevelBpeTrainer.Train(Corpus.ToList(), 320, Specials);
        Assert.Equal(first, second);
    }

    [Fact]
    public void StopsWhenNoPairReachesTheMinimumFrequency()
    {
        var definition = ByteLevelBpeTrainer.TrainDefinition(["ab ab", "cd"], 10_000, [], new ByteLevelBpeTrainerOptions { MinFrequency = 2 });
        Assert.Equal(new[] { ("a", "b") }, definition.Merges);
        Assert.Equal(257, definition.Vocab.Count);
    }

    [Fact]
    public void TrainedJsonLoadsAndEncodesWithLearnedMerges()
    {
        string json = ByteLevelBpeTrainer.Train(Corpus, 300, Specials, new ByteLevelBpeTrainerOptions { BosToken = "<s>" });
        var tokenizer = new ByteLevelBpeTokenizer(TokenizerJsonReader.Parse(json, "trained"));
        Assert.Equal(0, tokenizer.BosId);
        Assert.Equal(1, tokenizer.EosId); // "</s>" is recognised by its conventional name
        Assert.True(tokenizer.AddBosByDefault);
        Assert.Equal(new[] { "<|im_start|>", "Ġthe", "<|im_end|>" },
            tokenizer.Encode("<|im_start|> the<|im_end|>").Select(t => tokenizer.IdToToken(t.Id)));
        Assert.Equal(new HashSet<int> { 0, 1, 2, 3 }, tokenizer.SpecialTokenIds.ToHashSet());
    }

    [Theory]
    [MemberData(nameof(Tricky))]
    public void TrainedTokenizerRoundTripsAnyText(string text)
    {
        var tokenizer = new ByteLevelBpeTokenizer(TokenizerJsonReader.Parse(ByteLevelBpeTrainer.Train(Corpus.Concat(TrickyStrings), 400, Specials), "trained"));
        var tokens = tokenizer.Encode(text);
        Assert.Equal(text, tokenizer.Decode(Ids(tokens)));
        AssertOffsetsWellFormed(text, tokens);
        AssertStreamingMatchesDecode(tokenizer, Ids(tokens));
    }

    [Fact]
    public void WriterOutputReadsBackToTheSameDefinition()
    {
        var definition = ByteLevelBpeTrainer.TrainDefinition(Corpus, 290, Specials, new ByteLevelBpeTrainerOptions { BosToken = "<s>" });
        var reread = TokenizerJsonReader.Parse(TokenizerJsonWriter.Write(definition), "written");
        Assert.Equal(definition.Vocab.OrderBy(p => p.Value), reread.Vocab.OrderBy(p => p.Value));
        Assert.Equal(definition.Merges, reread.Merges);
        Assert.Equal(definition.AddedTokens, reread.AddedTokens);
        Assert.Equal(definition.PreTokenizers, reread.PreTokenizers);
        Assert.Equal((definition.BosToken, definition.AddBosByDefault), (reread.BosToken, reread.AddBosByDefault));
    }

    [Fact]
    public void RejectsTooSmallVocabularies()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ByteLevelBpeTrainer.Train(Corpus, 100, Specials));
        Assert.Contains("260", error.Message);
    }

    public static TheoryData<string> Tricky() => new(TrickyStrings);
}
