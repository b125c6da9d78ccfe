using FedLlm.Models.Generation;
using Microsoft.Extensions.AI;

namespace FedLlm.Generation.Local;

/// <summary>Chat options (as an OpenAI request carries them) checked and turned into local generation options.</summary>
public static class SamplingOptions
{
    /// <param name="defaultMaxTokens">Tokens to generate when the request names none (null: whatever the context leaves).</param>
    /// <param name="stops">Stop strings of the prompt's format, added to the request's own.</param>
    public static GenerationOptions ToGeneration(ChatOptions? options, int promptTokens, int context, int? defaultMaxTokens, IEnumerable<string> stops)
    {
        int room = context - promptTokens;
        if (room <= 0)
            throw new ContextLengthExceededException($"This model's maximum context length is {context} tokens, but the prompt has {promptTokens} tokens.");
        if (options?.MaxOutputTokens is int asked)
        {
            if (asked < 1) throw new ArgumentException($"max_tokens must be at least 1, got {asked}");
            if (asked > room)
                throw new ContextLengthExceededException($"This model's maximum context length is {context} tokens, but {promptTokens + asked} were requested ({promptTokens} in the prompt, {asked} to generate).");
        }
        double temperature = options?.Temperature ?? 1.0;
        if (!(temperature is >= 0 and <= 2)) throw new ArgumentException($"temperature must be in [0, 2], got {temperature}");
        double topP = options?.TopP ?? 1.0;
        if (!(topP is > 0 and <= 1)) throw new ArgumentException($"top_p must be in (0, 1], got {topP}");
        return new GenerationOptions
        {
            MaxNewTokens = options?.MaxOutputTokens ?? Math.Min(defaultMaxTokens ?? room, room),
            Temperature = temperature,
            TopP = topP,
            // Without a seed every request samples afresh, as OpenAI's API does; give one to repeat a sample.
            Seed = options?.Seed is long seed ? unchecked((ulong)seed) : unchecked((ulong)Random.Shared.NextInt64()),
            StopStrings = [.. stops, .. options?.StopSequences ?? []],
        };
    }
}

/// <summary>The prompt, or the prompt plus the requested tokens, does not fit the model's context.</summary>
public sealed class ContextLengthExceededException(string message) : ArgumentException(message);
