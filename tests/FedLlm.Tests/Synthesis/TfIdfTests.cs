using FedLlm.Synthesis.Similarity;
using FedLlm.Synthesis.Text;

namespace FedLlm.Tests.Synthesis;

public class TfIdfTests
{
    [Fact]
    public void TokensAreLowerCaseRunsOfTwoOrMoreWordCharacters()
    {
        // "a" and the "s" of "cat's" are single characters, so not terms.
        Assert.Equal(["the", "cat", "co", "op", "42", "café"], WordTokenizer.Tokenize("The cat's a co-op: 42 Café!"));
    }

    [Fact]
    public void VectorsFollowScikitLearnDefaults()
    {
        // n = 3; df(cat) = df(sat) = df(the) = 2 → idf = ln(4/3) + 1; df(dog) = 1 → ln 2 + 1. "a" is not a term.
        TfIdfModel model = TfIdfModel.Fit(["the cat sat", "the dog sat", "a cat"]);
        Assert.Equal(4, model.VocabularySize);
        // d0 = (1,1,1)/√3 over cat, sat, the; d1 = (ln2+1, ln(4/3)+1, ln(4/3)+1) normalised.
        double idfCommon = Math.Log(4.0 / 3) + 1, idfDog = Math.Log(2) + 1;
        double expected = 2 * idfCommon / Math.Sqrt(3) / Math.Sqrt(idfDog * idfDog + 2 * idfCommon * idfCommon);
        Assert.Equal(expected, model.Cosine("the cat sat", "the dog sat"), 12);
        Assert.Equal(0.5979687361418284, model.Cosine("the cat sat", "the dog sat"), 12);
        Assert.Equal(1 / Math.Sqrt(3), model.Cosine("the cat sat", "a cat"), 12);
        Assert.Equal(0, model.Cosine("unknown words only", "the cat"));
    }

    private static readonly string[] Seeds = ["How do I treat a mild fever at home?", "What are the symptoms of iron deficiency?"];

    // Cosines to the nearest seed (reference values from an independent implementation of sklearn's defaults):
    // 0.5316 (seed 0), 0.6765 (seed 1), 0.5183 (seed 1), 0.4669, 0.1013, and a one-word candidate.
    private static readonly string[] Candidates =
    [
        "How do I treat a fever in a child?",
        "What are the symptoms of anemia?",
        "Are headaches symptoms of iron overload?",
        "How should a mild cough be treated at home?",
        "Explain how vaccines train the immune system.",
        "Fever",
    ];

    [Fact]
    public void KnowledgeSgFilterDropsCandidatesAbove052AndOneWordOnes()
    {
        IReadOnlyList<SimilarityVerdict> verdicts = new SeedSimilarityFilter().Filter(Seeds, Candidates);
        Assert.Equal([false, false, true, true, true, false], verdicts.Select(v => v.Kept));
        Assert.Equal(0.531551119027696, verdicts[0].MaxSimilarity, 12);
        Assert.Equal(0.5182714970745063, verdicts[2].MaxSimilarity, 12);
        Assert.Equal([0, 1, 1, 0, 1], verdicts.Take(5).Select(v => v.MostSimilar));
        Assert.Equal("TF-IDF cosine 0.532 to seed 0 is above 0.52", verdicts[0].Reason);
        Assert.Equal("1 word(s), fewer than 2", verdicts[5].Reason);
    }

    [Fact]
    public void TheThresholdIsStrict()
    {
        double atThreshold = new SeedSimilarityFilter().Filter(Seeds, Candidates)[2].MaxSimilarity;
        Assert.True(new SeedSimilarityFilter(threshold: atThreshold).Filter(Seeds, Candidates)[2].Kept);
        Assert.False(new SeedSimilarityFilter(threshold: Math.BitDecrement(atThreshold)).Filter(Seeds, Candidates)[2].Kept);
    }

    [Fact]
    public void NearDuplicatesKeepTheFirstOfEachGroup()
    {
        string[] texts =
        [
            "What is the boiling point of water at sea level?",
            "At sea level, what is the boiling point of water?",   // same terms: cosine 1 with text 0
            "What is the freezing point of water?",                // 0.581 to text 0
            "Name three primary colors.",
            "What is the boiling point of pure water at sea level in Celsius?", // 0.743 to text 0
        ];
        IReadOnlyList<SimilarityVerdict> verdicts = new NearDuplicateFilter().Filter(texts);
        Assert.Equal([true, false, false, true, false], verdicts.Select(v => v.Kept));
        Assert.Equal([-1, 0, 0, -1, 0], verdicts.Select(v => v.MostSimilar));
        Assert.Equal(0.581058, verdicts[2].MaxSimilarity, 6);
        // At 0.6 the freezing-point question is kept, and the Celsius one is still closest to text 0.
        Assert.Equal([true, false, true, true, false], new NearDuplicateFilter(0.6).Filter(texts).Select(v => v.Kept));
    }
}
