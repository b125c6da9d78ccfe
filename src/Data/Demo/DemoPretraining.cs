using FedLlm.Data.Model;
using FedLlm.Foundation.Randomness;

namespace FedLlm.Data.Demo;

/// <summary>
/// Warm-up tasks for the demo's tiny base model: they teach the chat format and the demo vocabulary (copy, first
/// word, repeat) but none of the five <see cref="DemoTasks"/>, so what the federated LoRA run learns is new to the base.
/// Every word of <see cref="DemoTasks.Vocabulary"/> is an answer here, so each has a trained output embedding.
/// </summary>
public static class DemoPretraining
{
    // The demo tasks' whole vocabulary, answers included (so the two cannot drift apart).
    private static readonly IReadOnlyList<string> Words = DemoTasks.Vocabulary;

    public static IReadOnlyList<InstructionExample> Generate(int count, ulong seed)
    {
        var random = new SplitMix64(seed);
        var examples = new List<InstructionExample>(count);
        for (int i = 0; i < count; i++)
        {
            var words = Enumerable.Range(0, 1 + random.Next(4)).Select(_ => random.Pick(Words)).ToArray();
            string text = string.Join(' ', words);
            var (prompt, answer) = (i % 3) switch
            {
                0 => ("copy: " + text, text),
                1 => ("first: " + text, words[0]),
                _ => ("twice: " + words[0], words[0] + " " + words[0]),
            };
            examples.Add(new InstructionExample(Conversation.SingleTurn(prompt, answer),
                new ExampleMetadata { Category = "warm-up", ReferenceAnswer = answer, Source = $"demo-warmup:{i + 1}" }));
        }
        return examples;
    }
}
