using FedLlm.Synthesis.Text;
using FsCheck;
using FsCheck.Xunit;

namespace FedLlm.Tests.Synthesis;

public class TextChunkerTests
{
    /// <summary>A stand-in tokenizer: one token per whitespace-separated word.</summary>
    private static int Words(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    private const string Article =
        "Fever is a rise in body temperature. It is usually a sign of infection.\n" +
        "Rest and fluids help most adults. See a doctor if it lasts more than three days.\n" +
        "Children need more care.";

    [Fact]
    public void ShortParagraphsArePackedWhileTheyFit()
    {
        var chunks = new TextChunker(Words, maxTokens: 20).Chunk(Article);
        // Paragraphs of 14, 17 and 4 words: 14 + 17 > 20, 17 + 4 ≤ 20.
        Assert.Equal(["Fever is a rise in body temperature. It is usually a sign of infection.",
            "Rest and fluids help most adults. See a doctor if it lasts more than three days.\nChildren need more care."],
            chunks.Select(c => c.Text));
        Assert.Equal([14, 20], chunks.Select(c => c.Tokens));
    }

    [Fact]
    public void ALongParagraphSplitsBetweenSentencesNeverInsideOne()
    {
        var chunks = new TextChunker(Words, maxTokens: 10).Chunk(Article);
        Assert.Equal([
            "Fever is a rise in body temperature.",
            "It is usually a sign of infection.",
            "Rest and fluids help most adults.",
            "See a doctor if it lasts more than three days.",
            "Children need more care.",
        ], chunks.Select(c => c.Text));
        Assert.All(chunks, c => Assert.True(c.Tokens <= 10));
    }

    [Fact]
    public void ASentenceTooLongAloneSplitsBetweenWordsAndAHugeWordStandsAlone()
    {
        string text = "one two three four five six seven " + new string('x', 40) + " eight";
        var chunks = new TextChunker(t => t.Length <= 12 ? 1 : t.Length / 6, maxTokens: 3).Chunk(text);
        Assert.All(chunks, c => Assert.Equal(c.Text, c.Text.Trim()));
        Assert.Contains(chunks, c => c.Text == new string('x', 40) && c.Oversized);
        Assert.All(chunks.Where(c => !c.Oversized), c => Assert.True(c.Tokens <= 3));
        Assert.Equal(text.Split(' '), chunks.SelectMany(c => c.Text.Split(' ')));
    }

    [Fact]
    public void AbbreviationsFollowedByLowerCaseDoNotEndASentence()
    {
        var chunks = new TextChunker(Words, maxTokens: 8).Chunk("Take fluids, e.g. water or tea, often. Rest helps too.");
        Assert.Equal(["Take fluids, e.g. water or tea, often.", "Rest helps too."], chunks.Select(c => c.Text));
    }

    [Fact]
    public void EmptyOrBlankTextHasNoChunks()
    {
        Assert.Empty(new TextChunker(Words, 5).Chunk(""));
        Assert.Empty(new TextChunker(Words, 5).Chunk(" \n\n \t"));
    }

    [Property(MaxTest = 100)]
    public bool ChunksAreExactSlicesWithinTheBoundAndCoverEveryWord(NonEmptyString seed, PositiveInt bound)
    {
        // Words of random lengths with sentence ends, line breaks and blank lines, seeded by the FsCheck string.
        var random = new Random(seed.Get.Aggregate(17, (h, c) => unchecked(h * 31 + c)));
        var text = new System.Text.StringBuilder();
        for (int w = 0; w < 60; w++)
        {
            text.Append(new string((char)('a' + random.Next(26)), 1 + random.Next(9)));
            int pick = random.Next(10);
            text.Append(pick == 0 ? ". " : pick == 1 ? ".\n" : pick == 2 ? "\n\n" : " ");
        }
        string source = text.ToString();
        int max = 1 + bound.Get % 15;
        var chunks = new TextChunker(Words, max).Chunk(source);
        bool slices = chunks.All(c => source.Substring(c.Start, c.Length) == c.Text);
        bool bounded = chunks.All(c => c.Tokens <= max && !c.Oversized);
        bool ordered = chunks.Zip(chunks.Skip(1)).All(p => p.First.Start + p.First.Length < p.Second.Start);
        bool allWords = chunks.SelectMany(c => c.Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            .SequenceEqual(source.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        bool deterministic = new TextChunker(Words, max).Chunk(source).SequenceEqual(chunks);
        return slices && bounded && ordered && allWords && deterministic;
    }
}
