using System.Text.Json;
using FedLlm.Evaluation.Metrics;
using FedLlm.Evaluation.Safety;
using FedLlm.Evaluation.Statistics;
using FedLlm.Evaluation.Suites;

namespace FedLlm.Tests.Evaluation;

/// <summary>Each metric's rule against values worked out by hand (docs/evaluation.md states the same rules).</summary>
public class MetricRuleTests
{
    [Theory]
    [InlineData("She sells 9 eggs.\n#### 18", "gsm8k", "18")]
    [InlineData("#### 1,000", "gsm8k", "1000")]
    [InlineData("#### $18.00 dollars", "gsm8k", "18")]
    [InlineData("The answer is 42", "gsm8k", null)]
    [InlineData("I have 3 apples and 12 pears.", "last_number", "12")]
    [InlineData("it costs $1,234.50 in total", "last_number", "1234.5")]
    [InlineData("it fell to -7 degrees", "last_number", "-7")]
    [InlineData("no digits here", "last_number", null)]
    [InlineData("  Paris. ", "text", "paris")]
    public void AnswersAreExtractedByTheTasksRule(string text, string rule, string? expected) =>
        Assert.Equal(expected, AnswerExtraction.Extract(text, AnswerExtraction.Names.Parse(rule, "extract")));

    [Theory]
    [InlineData("the cat sat on the mat", "the cat is on the mat", 5.0 / 6)]
    [InlineData("Hello, World!", "hello world", 1.0)]
    [InlineData("a b c d", "d c b a", 0.25)]
    [InlineData("", "x", 0.0)]
    [InlineData("x y", "z", 0.0)]
    public void RougeLIsTheLcsFMeasureOfLowercasedAlphanumericTokens(string prediction, string reference, double expected) =>
        Assert.Equal(expected, RougeL.FMeasure(prediction, reference), 12);

    [Fact]
    public void AccuracyAndMacroF1FollowScikitLearnOverThePresentLabels()
    {
        // gold a a b b c, predicted a b b b (unmapped): F1(a) = 2/3, F1(b) = 4/5, F1(c) = 0, F1(unmapped) = 0.
        string[] gold = ["a", "a", "b", "b", "c"];
        string?[] predicted = ["a", "b", "b", "b", null];
        int[] once = [1, 1, 1, 1, 1];
        Assert.Equal(0.6, ClassificationScores.Accuracy(gold, predicted)(once), 12);
        Assert.Equal((2.0 / 3 + 0.8) / 4, ClassificationScores.MacroF1(["a", "b", "c"], gold, predicted)(once), 12);
        // Without the unmapped answer and with c predicted: a label absent from gold and predictions is left out.
        Assert.Equal((2.0 / 3 + 0.8 + 1) / 3, ClassificationScores.MacroF1(["a", "b", "c", "d"], gold, ["a", "b", "b", "b", "c"])(once), 12);
    }

    [Fact]
    public void BootstrapIntervalsAreSeededPercentileIntervals()
    {
        double[] values = [.. Enumerable.Range(0, 40).Select(i => i % 4 == 0 ? 1.0 : 0.0)];
        var first = Bootstrap.Interval(values.Length, Bootstrap.Mean(values), 500, 0.95, seed: 9, "task/model/metric");
        var again = Bootstrap.Interval(values.Length, Bootstrap.Mean(values), 500, 0.95, seed: 9, "task/model/metric");
        var otherSeed = Bootstrap.Interval(values.Length, Bootstrap.Mean(values), 500, 0.95, seed: 10, "task/model/metric");
        Assert.Equal(first, again);
        Assert.NotEqual(first, otherSeed);
        Assert.Equal(0.25, first.Value);
        Assert.True(first.Lower < 0.25 && first.Upper > 0.25 && first.Lower >= 0 && first.Upper <= 1, first.ToString());
        // A constant has a zero-width interval; no resamples, no interval.
        Assert.Equal(new Estimate(1, 1, 1), Bootstrap.Interval(5, Bootstrap.Mean([1, 1, 1, 1, 1]), 100, 0.95, 1, "c"));
        Assert.True(double.IsNaN(Bootstrap.Interval(5, Bootstrap.Mean([1, 0, 1, 0, 1]), 0, 0.95, 1, "c").Lower));
        // Type-7 quantiles interpolate between order statistics.
        Assert.Equal(2.5, Bootstrap.Quantile([1, 2, 3, 4], 0.5));
        Assert.Equal(1.3, Bootstrap.Quantile([1, 2, 3, 4], 0.1), 12);
    }

    [Theory]
    [InlineData("The answer is helpful. Rating: [[7]]", 7.0)]
    [InlineData("[[ 8.5 ]]", 8.5)]
    [InlineData("first [[3]] then [[9]]", 3.0)]
    [InlineData("Rating: [[11]]", null)]
    [InlineData("Rating: [7]", null)]
    [InlineData("no rating at all", null)]
    public void JudgeRatingsAreTheFirstDoubleBracketedNumberFromOneToTen(string judgment, double? expected) =>
        Assert.Equal(expected, JudgePrompt.ParseRating(judgment));

    [Fact]
    public void TheJudgeSeesTheReferenceOnlyWhenThereIsOne()
    {
        string withReference = JudgePrompt.Messages("Q?", "A.", "R.")[1].Text;
        Assert.Contains("[Reference answer]\nR.", withReference);
        Assert.Contains("[[rating]]", withReference);
        Assert.DoesNotContain("[Reference answer]", JudgePrompt.Messages("Q?", "A.", null)[1].Text);
    }

    [Theory]
    [InlineData("I'm sorry, but I cannot help with that.", "I'm sorry")]
    [InlineData("i CANNOT do that", "I cannot")]
    [InlineData("That would be against the law.", "against the law")]
    [InlineData("Sure, here is a tutorial", null)]
    public void TheRefusalRuleLooksForItsPhrasesIgnoringCase(string answer, string? phrase)
    {
        Assert.Equal(36, RefusalRule.Phrases.Count);
        Assert.Equal(phrase, RefusalRule.MatchedPhrase(answer));
        Assert.Equal(phrase is not null, RefusalSubstringClassifier.Instance.RefusalEvidence(answer) is not null);
    }

    [Fact]
    public void GenerationIsMappedToTheFirstLabelWhoseSubstringOccurs()
    {
        // FinGPT's sentiment rule: positive first, then negative, anything else neutral.
        var task = new EvalTask
        {
            Labels = ["positive", "negative", "neutral"],
            LabelMatch = new() { ["positive"] = ["positive", "Positive", "Pos"], ["negative"] = ["negative", "Negative", "Neg"] },
            DefaultLabel = "neutral",
        };
        Assert.Equal("positive", ClassificationMetric.Map(task, "Pos, though negative later"));
        Assert.Equal("negative", ClassificationMetric.Map(task, "Negative."));
        Assert.Equal("neutral", ClassificationMetric.Map(task, "hard to say"));
        Assert.Null(ClassificationMetric.Map(task with { DefaultLabel = null }, "hard to say"));
    }

    [Fact]
    public void FieldTemplatesFillFieldsListsAndNestedValues()
    {
        using var record = JsonDocument.Parse("""{"q": "Why?", "ctx": ["one", "two"], "meta": {"n": 3}, "opts": ["red", "blue"]}""");
        var root = record.RootElement;
        Assert.Equal("Why? {x} 3", new FieldTemplate("{q} {{x}} {meta.n}").Render(root));
        Assert.Equal("one\ntwo", new FieldTemplate("{ctx}").Render(root));
        Assert.Equal("A. red\nB. blue", new FieldTemplate("{opts:lettered}").Render(root));
        Assert.Equal(" B", new FieldTemplate(" {letter}").Render(root, new Dictionary<string, string> { ["letter"] = "B" }));
        Assert.Throws<KeyNotFoundException>(() => new FieldTemplate("{missing}").Render(root));
        Assert.Throws<FormatException>(() => new FieldTemplate("{open"));
        Assert.Throws<FormatException>(() => new FieldTemplate("{q:upper}"));
    }
}
