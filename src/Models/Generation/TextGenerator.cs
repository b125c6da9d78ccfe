namespace FedLlm.Models.Generation;

/// <summary>One prompt, decoded alone: the batched path (<see cref="BatchGenerator"/>) with a batch of one.</summary>
public static class TextGenerator
{
    /// <param name="promptIds">The prompt as token ids, BOS included if the model wants one.</param>
    /// <param name="onText">Receives decoded text as soon as complete characters are available.</param>
    public static GenerationResult Generate(PretrainedModel model, IReadOnlyList<int> promptIds, GenerationOptions options, Action<string>? onText = null)
    {
        using var generator = new BatchGenerator(model, maxBatch: 1);
        return generator.GenerateAll([new GenerationJob { PromptIds = promptIds, Options = options, OnText = onText }])[0];
    }
}
