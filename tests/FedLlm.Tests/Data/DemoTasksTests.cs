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
        Assert.Equal(7, DemoTasks.Categories.Count);
        Assert.All(DemoTasks.Categories, category => Assert.Equal(100, examples.Count(e => e.Metadata.Category == category)));
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
            string[] operands = prompt[(prompt.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            switch (example.Metadata.Category)
            {
                case DemoTasks.Reverse: Assert.Equal(string.Join(' ', operands.Reverse()), answer); break;
                case DemoTasks.Uppercase: Assert.Equal(operands[0].ToUpperInvariant(), answer); break;
                case DemoTasks.Add:
                    Assert.Equal(int.Parse(operands[0], CultureInfo.InvariantCulture) + int.Parse(operands[2], CultureInfo.InvariantCulture),
                        int.Parse(answer, CultureInfo.InvariantCulture));
                    break;
                case DemoTasks.Sort: Assert.Equal(string.Join(' ', operands.Order(StringComparer.Ordinal)), answer); break;
                case DemoTasks.Count: Assert.Equal(operands.Length.ToString(CultureInfo.InvariantCulture), answer); break;
                case DemoTasks.Capital: Assert.Equal(DemoTasks.Capitals[prompt["capital of ".Length..]], answer); break;
                case DemoTasks.Last: Assert.Equal(operands[^1], answer); break;
                default: Assert.Fail($"unexpected category {example.Metadata.Category}"); break;
            }
        }
    }
}
