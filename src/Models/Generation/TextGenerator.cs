using FedLlm.Models.Llama;
using static TorchSharp.torch;

namespace FedLlm.Models.Generation;

/// <summary>KV-cache autoregressive decoding with streaming output.</summary>
public static class TextGenerator
{
    /// <param name="promptIds">The prompt as token ids, BOS included if the model wants one.</param>
    /// <param name="onText">Receives decoded text as soon as complete characters are available.</param>
    public static GenerationResult Generate(PretrainedModel model, IReadOnlyList<int> promptIds, GenerationOptions options, Action<string>? onText = null)
    {
        if (promptIds.Count == 0) throw new ArgumentException("The prompt must contain at least one token.", nameof(promptIds));
        // The prompt's forward pass already yields the first new token, so zero cannot be honoured.
        if (options.MaxNewTokens < 1) throw new ArgumentException($"max new tokens must be at least 1, got {options.MaxNewTokens}", nameof(options));
        int capacity = Math.Min(model.Config.MaxPositionEmbeddings, promptIds.Count + options.MaxNewTokens);
        if (promptIds.Count >= model.Config.MaxPositionEmbeddings)
            throw new ArgumentException($"The prompt has {promptIds.Count} tokens; the model's context is {model.Config.MaxPositionEmbeddings}.");

        var stopIds = new HashSet<int>(options.ExtraStopTokenIds);
        if (options.StopAtEos) stopIds.UnionWith(model.EosTokenIds);

        using var noGrad = no_grad();
        using var cache = model.Model.CreateCache(1, capacity);
        using var sampler = new TokenSampler(options.Temperature, options.TopP, options.Seed);
        var decoder = model.Tokenizer.CreateStreamDecoder();
        var generated = new List<int>();
        var text = new System.Text.StringBuilder();
        int emitted = 0; // characters of text already streamed (held back while they might start a stop string)
        int longestStop = options.StopStrings.Count == 0 ? 0 : options.StopStrings.Max(s => s.Length);

        int next;
        using (var scope = NewDisposeScope())
        {
            var logits = model.Model.Forward(tensor(promptIds.Select(i => (long)i).ToArray()).unsqueeze(0), cache);
            next = sampler.Next(logits[0, -1]);
        }

        var reason = StopReason.MaxNewTokens;
        while (true)
        {
            if (stopIds.Contains(next)) { reason = StopReason.EndOfSequence; break; }
            generated.Add(next);
            text.Append(decoder.Append(next));

            int stopAt = FindStop(text, options.StopStrings, Math.Max(0, emitted - longestStop));
            if (stopAt >= 0)
            {
                text.Length = stopAt;
                reason = StopReason.StopString;
                break;
            }
            int safe = text.Length - Math.Max(0, longestStop - 1);
            if (onText is not null && safe > emitted)
            {
                onText(text.ToString(emitted, safe - emitted));
                emitted = safe;
            }
            if (generated.Count >= options.MaxNewTokens) break;
            if (cache.Length >= cache.Capacity) { reason = StopReason.ContextFull; break; }

            using var scope = NewDisposeScope();
            var logits = model.Model.Forward(tensor(new long[] { next }).unsqueeze(0), cache);
            next = sampler.Next(logits[0, -1]);
        }

        text.Append(reason == StopReason.StopString ? "" : decoder.Flush());
        if (onText is not null && text.Length > emitted) onText(text.ToString(emitted, text.Length - emitted));
        return new GenerationResult(generated, text.ToString(), reason);
    }

    private static int FindStop(System.Text.StringBuilder text, IReadOnlyList<string> stops, int from)
    {
        if (stops.Count == 0) return -1;
        string tail = text.ToString(from, text.Length - from);
        int best = -1;
        foreach (string stop in stops)
        {
            int at = tail.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (best < 0 || at < best)) best = at;
        }
        return best < 0 ? -1 : from + best;
    }
}
