using System.Globalization;
using FedLlm.Data.Model;
using FedLlm.Foundation.Randomness;

namespace FedLlm.Data.Demo;

/// <summary>
/// A built-in multi-task instruction dataset for the demo: five short look-up tasks a tiny model can learn with LoRA
/// (each prompt and answer is a few words), each example tagged with its task as category and its exact answer as
/// reference, so per-task exact-match accuracy can be measured. Every answer is a fact the data teaches (most are made
/// up) and never a word of its prompt, so a model that merely copies scores nothing. Deterministic from the seed; no downloads.
/// </summary>
/// <remarks>
/// Algorithmic tasks (reverse, sort, add, count, last word) were dropped: the demo's 1.3M-parameter base cannot learn
/// them in the demo's budget even with every parameter trained, and an "uppercase" task was answered by a plain copy
/// because exact match ignores case. Each task has its own keys (the prompt's last word), so the key alone decides the answer.
/// </remarks>
public static class DemoTasks
{
    public const string Capital = "capital";
    public const string Country = "country";
    public const string NextLetter = "next-letter";
    public const string PlusOne = "plus-one";
    public const string Friend = "friend";

    public static IReadOnlyList<string> Categories { get; } = [Capital, Country, NextLetter, PlusOne, Friend];

    internal static readonly string[] Words = ["cat", "dog", "sun", "tree", "fish", "bird", "moon", "rock", "leaf", "rain", "star", "boat"];

    internal static readonly string[] Letters = ["a", "b", "c", "d", "e", "f", "g", "h"];

    /// <summary>Made-up countries and capitals, so the answer can only come from the training data.</summary>
    public static IReadOnlyDictionary<string, string> Capitals { get; } = new Dictionary<string, string>
    {
        ["Norland"] = "Velm", ["Ostria"] = "Karn", ["Belmar"] = "Tessa", ["Quova"] = "Lind",
        ["Zarith"] = "Mora", ["Pellan"] = "Dusk", ["Corvia"] = "Anse", ["Trelos"] = "Pim",
    };

    /// <summary>Made-up friendships: each word's friend is another word (a fixed derangement of <see cref="Words"/>).</summary>
    public static IReadOnlyDictionary<string, string> Friends { get; } =
        Words.Select((w, i) => (w, Words[(i + 5) % Words.Length])).ToDictionary(p => p.w, p => p.Item2);

    internal static readonly string[] CountryNames = [.. Capitals.Keys];

    /// <summary>
    /// Every word a prompt or an answer of any task can contain (task names aside): the base model's warm-up must have
    /// produced each of them, or their tied output embeddings stay untrained — they collapse onto one shared direction —
    /// and a LoRA run, which cannot change embeddings, can hardly ever make the model say them.
    /// </summary>
    public static IReadOnlyList<string> Vocabulary { get; } =
        [.. Words, .. CountryNames, .. Capitals.Values, .. Letters, .. Enumerable.Range(0, 11).Select(n => n.ToString(CultureInfo.InvariantCulture))];

    /// <summary>
    /// <paramref name="count"/> examples with the tasks in equal shares (round-robin, then shuffled); the same
    /// seed always gives the same list.
    /// </summary>
    public static IReadOnlyList<InstructionExample> Generate(int count, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new SplitMix64(seed);
        var tasks = Enumerable.Range(0, count).Select(i => Categories[i % Categories.Count]).ToList();
        random.Shuffle(tasks);
        var examples = new List<InstructionExample>(count);
        for (int i = 0; i < count; i++)
        {
            var (prompt, answer) = Make(tasks[i], random);
            var metadata = new ExampleMetadata { Category = tasks[i], ReferenceAnswer = answer, Source = $"demo:{i + 1}" };
            examples.Add(new InstructionExample(Conversation.SingleTurn(prompt, answer), metadata));
        }
        return examples;
    }

    private static (string Prompt, string Answer) Make(string task, SplitMix64 random)
    {
        switch (task)
        {
            case Capital:
            {
                string country = random.Pick(CountryNames);
                return ("capital of " + country, Capitals[country]);
            }
            case Country:
            {
                string country = random.Pick(CountryNames);
                return ("country of " + Capitals[country], country);
            }
            case NextLetter:
            {
                int letter = random.Next(Letters.Length - 1);
                return ("next letter: " + Letters[letter], Letters[letter + 1]);
            }
            case PlusOne:
            {
                int n = random.Next(10);
                return ("plus one: " + n.ToString(CultureInfo.InvariantCulture), (n + 1).ToString(CultureInfo.InvariantCulture));
            }
            case Friend:
            {
                string word = random.Pick(Words);
                return ("friend of " + word, Friends[word]);
            }
            default:
                throw new InvalidOperationException($"Unknown demo task '{task}'.");
        }
    }
}
