using System.Globalization;
using FedLlm.Data.Demo;

namespace FedLlm.Tests.Data;

public sealed class DemoTasksTests
{
    [Fact]
    public void SameSeedSameData_DifferentSeedDifferentData()
    {
        var a = DemoTasks.Generate(70, seed: 7);
        var b = DemoTasks.Generate(70, seed: 7);
        var c = DemoTasks.Generate(70, seed: 8);
        static string Flatten(IEnumerable<FedLlm.Data.Model.InstructionExample> xs) =>
            string.Join("|", xs.Select(x => x.Conversation.Turns[0].Content + "=>" + x.Conversation.FinalResponse));
        Assert.Equal(Flatten(a), Flatten(b));
        Assert.NotEqual(Flatten(a), Flatten(c));
    }

    [Fact]
    public void TasksAreBalancedShortAndTaggedWithExactReferences()
    {
        var examples = DemoTasks.Generate(700, seed: 1);
        Assert.Equal(700, examples.Count);
        Assert.Equal(5, DemoTasks.Categories.Count);
        Assert.All(DemoTasks.Categories, category => Assert.Equal(140, examples.Count(e => e.Metadata.Category == category)));
        Assert.All(examples, e =>
        {
            Assert.Equal(e.Conversation.FinalResponse, e.Metadata.ReferenceAnswer);
            Assert.InRange(e.Conversation.Turns[0].Content.Length, 5, 40);
            Assert.InRange(e.Conversation.FinalResponse!.Length, 1, 20);
        });
        Assert.Empty(DemoTasks.Generate(0, seed: 1));
    }

    [Fact]
    public void AnswersFollowTheTaskRules()
    {
        foreach (var example in DemoTasks.Generate(140, seed: 3))
        {
            string prompt = example.Conversation.Turns[0].Content, answer = example.Conversation.FinalResponse!;
            string key = prompt.Split(' ')[^1];
            switch (example.Metadata.Category)
            {
                case DemoTasks.Capital: Assert.Equal("capital of " + key, prompt); Assert.Equal(DemoTasks.Capitals[key], answer); break;
                case DemoTasks.Country: Assert.Equal("country of " + key, prompt); Assert.Equal(key, DemoTasks.Capitals[answer]); break;
                case DemoTasks.NextLetter: Assert.Equal("next letter: " + key, prompt); Assert.Equal(((char)(key[0] + 1)).ToString(), answer); break;
                case DemoTasks.PlusOne:
                    Assert.Equal("plus one: " + key, prompt);
                    Assert.Equal(int.Parse(key, CultureInfo.InvariantCulture) + 1, int.Parse(answer, CultureInfo.InvariantCulture));
                    break;
                case DemoTasks.Friend: Assert.Equal("friend of " + key, prompt); Assert.Equal(DemoTasks.Friends[key], answer); break;
                default: Assert.Fail($"unexpected category {example.Metadata.Category}"); break;
            }
        }
    }

    /// <summary>A model that copies (as the untuned base does) must score nothing: no answer is a word of its prompt.</summary>
    [Fact]
    public void NoAnswerCanBeCopiedFromItsPrompt()
    {
        Assert.All(DemoTasks.Generate(700, seed: 5), e =>
            Assert.DoesNotContain(e.Conversation.FinalResponse!, e.Conversation.Turns[0].Content.Split(' '), StringComparer.OrdinalIgnoreCase));
    }

    [Fact]
    public void VocabularyHoldsEveryPromptKeyAndAnswer()
    {
        Assert.All(DemoTasks.Generate(700, seed: 6), e =>
        {
            Assert.Contains(e.Conversation.FinalResponse!, DemoTasks.Vocabulary);
            Assert.Contains(e.Conversation.Turns[0].Content.Split(' ')[^1], DemoTasks.Vocabulary);
        });
    }
}
