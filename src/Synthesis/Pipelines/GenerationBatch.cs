using FedLlm.Foundation.Randomness;
using Microsoft.Extensions.AI;

namespace FedLlm.Synthesis.Pipelines;

/// <summary>
/// Sends a pipeline's prompts to its generator all at once (the in-process model decodes them in batches, an endpoint
/// takes them as fast as its concurrency limit allows) and returns the texts in prompt order. Prompt i is sampled with
/// its own seed, derived from the run seed, the stage and i, so the requests of a re-run are identical (and a response
/// cache answers them) while two prompts never share a sample stream.
/// </summary>
public static class GenerationBatch
{
    /// <param name="stage">Names the stage in seeds and errors (e.g. "u2s", "knowledgesg instructions").</param>
    /// <param name="stops">Texts that end a generation (e.g. KnowledgeSG's next <c>###example</c>).</param>
    /// <param name="coordinates">Further seed coordinates (e.g. the client id) so stages of different clients differ.</param>
    public static async Task<IReadOnlyList<string>> GenerateAsync(IChatClient generator, IReadOnlyList<string> prompts, SamplingSettings sampling,
        ulong seed, string stage, IReadOnlyList<string>? stops = null, long[]? coordinates = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(sampling);
        var calls = prompts.Select((prompt, i) => AskAsync(generator, prompt, Options(sampling, seed, stage, coordinates ?? [], i, stops), stage, i, prompts.Count, cancellation));
        return await Task.WhenAll(calls).ConfigureAwait(false);
    }

    private static ChatOptions Options(SamplingSettings sampling, ulong seed, string stage, long[] coordinates, int index, IReadOnlyList<string>? stops) => new()
    {
        Temperature = (float)sampling.Temperature,
        TopP = (float)sampling.TopP,
        MaxOutputTokens = sampling.MaxNewTokens,
        // OpenAI's seed is a signed 63-bit value in practice; keep it positive so every server takes it.
        Seed = (long)(SeedDerivation.Derive(seed, stage, [.. coordinates, index]) & 0x7FFFFFFFFFFFFFFFUL),
        StopSequences = stops is { Count: > 0 } ? [.. stops] : null,
    };

    private static async Task<string> AskAsync(IChatClient generator, string prompt, ChatOptions options, string stage, int index, int count,
        CancellationToken cancellation)
    {
        try
        {
            var response = await generator.GetResponseAsync([new ChatMessage(ChatRole.User, prompt)], options, cancellation).ConfigureAwait(false);
            return response.Text;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            throw new SynthesisException($"{stage}: the generator failed on prompt {index + 1} of {count}: {FirstLine(e)}{Hint(e)}", e);
        }
    }

    /// <summary>Endpoint errors carry the response body on later lines; the first line says what happened.</summary>
    private static string FirstLine(Exception e)
    {
        string message = (e.InnerException is HttpRequestException inner && e is not HttpRequestException ? inner : e).Message;
        int newline = message.IndexOfAny(['\r', '\n']);
        return (newline < 0 ? message : message[..newline]).Trim();
    }

    private static string Hint(Exception e) =>
        e is HttpRequestException || e.InnerException is HttpRequestException
            ? " (is the endpoint running and reachable? check generator.endpoint)"
            : e is TimeoutException or TaskCanceledException ? " (the endpoint did not answer in time: raise generator.timeout_seconds?)" : "";
}
