using FedLlm.Data.Model;
using FedLlm.Training.Dpo;
using FedLlm.Training.Runs;

namespace FedLlm.Training.Examples;

/// <summary>
/// Records tokenized for one training method: token sequences with loss labels for SFT (instruction or text records),
/// chosen/rejected pairs for DPO (preference records). The list the method does not use is empty.
/// </summary>
public sealed record TokenizedData(TrainingMethod Method, IReadOnlyList<TokenizedExample> Sequences, IReadOnlyList<PreferencePair> Pairs)
{
    /// <summary>Trainable items: sequences (SFT) or pairs (DPO). FedAvg weights a client by this count.</summary>
    public int Count => Method == TrainingMethod.Dpo ? Pairs.Count : Sequences.Count;

    public static TokenizedData Empty(TrainingMethod method) => new(method, [], []);

    /// <summary>The trainable examples among <paramref name="records"/>: records left with no response token are dropped (and counted by the tokenizer).</summary>
    /// <exception cref="ArgumentException">A record is of a kind the method cannot train on.</exception>
    public static TokenizedData Tokenize(ExampleTokenizer tokenizer, TrainingMethod method, IEnumerable<Example> records)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(records);
        if (method == TrainingMethod.Dpo)
            return new(method, [], [.. records.Select(r => r is PreferenceExample p ? tokenizer.Tokenize(p) : throw NotFor(method, r)).OfType<PreferencePair>()]);
        return new(method, [.. records.Select(r => r switch
        {
            InstructionExample instruction => tokenizer.Tokenize(instruction.Conversation),
            TextExample text => tokenizer.TokenizeText(text.Text),
            _ => throw NotFor(method, r),
        }).OfType<TokenizedExample>()], []);
    }

    /// <summary>Why <paramref name="record"/> cannot be trained with <paramref name="method"/>, or null when it can.</summary>
    public static string? Misfit(TrainingMethod method, Example record) => method switch
    {
        TrainingMethod.Dpo when record is not PreferenceExample =>
            $"method dpo needs preference records (prompt, chosen, rejected); this file holds {KindOf(record)} records",
        TrainingMethod.Sft when !(record is TextExample || record is InstructionExample { HasResponse: true }) =>
            $"method sft needs instruction records with a response, or text; this file holds {KindOf(record)} records",
        _ => null,
    };

    private static ArgumentException NotFor(TrainingMethod method, Example record) =>
        new($"{record.Metadata.Source ?? "a record"}: {Misfit(method, record) ?? $"cannot be trained with {method}"}");

    private static string KindOf(Example example) => example switch
    {
        PreferenceExample => "preference",
        InstructionExample { HasResponse: false } => "prompt-only",
        InstructionExample => "instruction",
        TextExample => "text",
        _ => example.GetType().Name,
    };
}
