using System.Globalization;
using FedLlm.Data.Model;
using FedLlm.Data.Randomness;

namespace FedLlm.Data.Demo;

/// <summary>
/// A built-in multi-task instruction dataset for the demo: seven short tasks a tiny model can learn (each prompt
/// and answer is a few words), each example tagged with its task as category and its exact answer as reference,
/// so per-task exact-match accuracy can be measured. Deterministic from the seed; no downloads.
/// </summary>
public static class DemoTasks
{
    public const string Reverse = "reverse";
    public const string Uppercase = "uppercase";
    public const string Add = "add";
    public const string Sort = "sort";
    public const string Count = "count";
    public const string Capital = "capital";
    public const string Last = "last";

    public static IReadOnlyList<string> Categories { get; } = [Reverse, Uppercase, Add, Sort, Count, Capital, Last];

    internal static readonly string[] Words = ["cat", "dog", "sun", "tree", "fish", "bird", "moon", "rock", "leaf", "rain", "star", "boat"];

    internal static readonly string[] Letters = ["a", "b", "c", "d", "e", "f", "g", "h"];

    /// <summary>Made-up countries and capitals, so the answer can only come from the training data.</summary>
    public static IReadOnlyDictionary<string, string> Capitals { get; } = new Dictionary<string, string>
    {
        ["Norland"] = "Velm", ["Ostria"] = "Karn", ["Belmar"] = "Tessa", ["Quova"] = "Lind",
        ["Zarith"] = "Mora", ["Pellan"] = "Dusk", ["Corvia"] = "Anse", ["Trelos"] = "Pim",
    };

    internal static readonly string[] CountryNames = [.. Capitals.Keys];

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
            case Reverse:
            {
                var words = Distinct(random, Words, 3);
                return ("reverse: " + string.Join(' ', words), string.Join(' ', Enumerable.Reverse(words)));
            }
            case Uppercase:
            {
                string word = random.Pick(Words);
                return ("uppercase: " + word, word.ToUpperInvariant());
            }
            case Add:
            {
                int a = random.Next(10), b = random.Next(10);
                return ($"add: {a} + {b}", (a + b).ToString(CultureInfo.InvariantCulture));
            }
            case Sort:
            {
                var letters = Distinct(random, Letters, 3);
                return ("sort: " + string.Join(' ', letters), string.Join(' ', letters.Order(StringComparer.Ordinal)));
            }
            case Count:
            {
                int n = 1 + random.Next(6);
                return ("count: " + string.Join(' ', Enumerable.Repeat(random.Pick(Words), n)), n.ToString(CultureInfo.InvariantCulture));
            }
            case Capital:
            {
                string country = random.Pick(CountryNames);
                return ("capital of " + country, Capitals[country]);
            }
            case Last:
            {
                var words = Distinct(random, Words, 3);
                return ("last: " + string.Join(' ', words), words[^1]);
            }
            default:
                throw new InvalidOperationException($"Unknown demo task '{task}'.");
        }
    }

    private static string[] Distinct(SplitMix64 random, IReadOnlyList<string> pool, int count)
    {
        var copy = pool.ToList();
        random.Shuffle(copy);
        return [.. copy.Take(count)];
    }
}
