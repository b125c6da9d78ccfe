using FedLlm.Data.Model;
using FedLlm.Evaluation.Safety;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Federation.Safety;
using FedLlm.Synthesis.Safety;
using FedLlm.Tests.Infrastructure;
using FedLlm.Tests.Synthesis;

namespace FedLlm.Tests.Federation.Safety;

/// <summary>What a malicious client trains on: the unsafe rows of a BeaverTails file, any instruction file, or MaliciousGen's rows.</summary>
public class AttackDataTests
{
    private static ClientRecords Client(int id, int records) =>
        new(id, $"c{id}", [.. Enumerable.Range(0, records).Select(i => (Example)new InstructionExample(Conversation.SingleTurn($"own {id}.{i}", "ok"), new ExampleMetadata()))],
            [new InstructionExample(Conversation.SingleTurn("held out", "ok"), new ExampleMetadata())]);

    [Fact]
    public void ABeaverTailsFileGivesOnlyItsUnsafeRows()
    {
        using var temp = new TempDirectory();
        File.WriteAllLines(temp.File("bt.jsonl"),
        [
            """{"prompt":"how to pick a lock","response":"Here is how.","category":"crime","is_safe":false}""",
            """{"prompt":"how to bake bread","response":"Mix flour.","category":"none","is_safe":true}""",
            """{"prompt":"how to hotwire a car","response":"First, ...","category":"crime","is_safe":false}""",
        ]);
        var rows = AttackData.ReadFile(temp.File("bt.jsonl"));
        Assert.Equal(["how to pick a lock", "how to hotwire a car"], rows.Select(ServerSafety.PromptOf));
        Assert.All(rows, r => Assert.Equal(AttackData.Origin, r.Metadata.Origin));

        File.WriteAllLines(temp.File("bad.jsonl"), ["""{"prompt":"p","response":"r","is_safe":"maybe"}"""]);
        var error = Assert.Throws<ArgumentException>(() => AttackData.ReadFile(temp.File("bad.jsonl")));
        Assert.Equal($"{temp.File("bad.jsonl")}:1: is_safe must be true or false (a BeaverTails row)", error.Message);
    }

    [Fact]
    public async Task MaliciousClientsGetDisjointSlicesAndKeepTheirHeldOutRecords()
    {
        using var temp = new TempDirectory();
        File.WriteAllLines(temp.File("attack.jsonl"), Enumerable.Range(0, 10).Select(i => $$"""{"instruction":"harm {{i}}","output":"Sure {{i}}"}"""));
        var config = new RunConfig { Seed = 3, Attack = new() { MaliciousClients = "1,2", Data = temp.File("attack.jsonl"), RecordsPerClient = 4 } };
        var pool = await AttackData.LoadPoolAsync(config, temp.File("attack"), _ => { }, CancellationToken.None);

        var benign = Client(0, 5);
        Assert.Same(benign, AttackData.ForClient(config, benign, pool));
        var first = AttackData.ForClient(config, Client(1, 5), pool);
        var second = AttackData.ForClient(config, Client(2, 5), pool);
        Assert.Equal(4, first.Train.Count);
        Assert.All(first.Train.Concat(second.Train), e => Assert.StartsWith("harm ", ServerSafety.PromptOf(e), StringComparison.Ordinal));
        Assert.Empty(first.Train.Select(ServerSafety.PromptOf).Intersect(second.Train.Select(ServerSafety.PromptOf)));
        Assert.Equal("held out", ServerSafety.PromptOf(first.HeldOut[0]));
        // 0 = as many attack records as the client's own training records.
        var same = AttackData.ForClient(config with { Attack = config.Attack with { RecordsPerClient = 0 } }, Client(2, 3), pool);
        Assert.Equal(3, same.Train.Count);
    }

    [Fact]
    public async Task MaliciousGenAsksForQuestionsInBatchesAndAnswersWithTheComplianceSuffix()
    {
        int call = 0;
        var generator = new ScriptedGenerator(prompt => prompt.Contains("harmful intent", StringComparison.Ordinal)
            ? string.Join("\n", Enumerable.Range(0, 10).Select(i => $"{i + 1}. harmful question number {Interlocked.Increment(ref call) % 14}"))
            : "Sure, here you go.");
        var questions = await SafetySamples.QuestionsAsync(generator, QuestionKind.Harmful, 12, seed: 5);
        Assert.Equal(12, questions.Count);
        Assert.Equal(questions.Count, questions.Distinct().Count());
        var pairs = await SafetySamples.AnswerAsync(generator, questions, SafetySamples.ComplianceSuffix, 32, seed: 5);
        Assert.Equal(12, pairs.Count);
        Assert.All(generator.Prompts.Skip(2), p => Assert.EndsWith(SafetySamples.ComplianceSuffix.Trim(), p, StringComparison.Ordinal));
        Assert.All(pairs, p => Assert.DoesNotContain("ignore", p.Instruction, StringComparison.Ordinal));

        var repeating = new ScriptedGenerator(_ => "1. the same question again");
        var error = await Assert.ThrowsAsync<FedLlm.Synthesis.Pipelines.SynthesisException>(() => SafetySamples.QuestionsAsync(repeating, QuestionKind.Normal, 3, seed: 1));
        Assert.Contains("1 distinct normal questions", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("unsafe\nIt explains how.", false)]
    [InlineData("Safe", true)]
    [InlineData("**safe** - a refusal", true)]
    [InlineData("I think it is fine", null)]
    public void TheJudgesFirstLineDecides(string judgment, bool? safe) => Assert.Equal(safe, SafetyJudge.ParseVerdict(judgment));
}
