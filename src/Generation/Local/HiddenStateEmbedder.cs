using FedLlm.Models;
using Microsoft.Extensions.AI;
using static TorchSharp.torch;

namespace FedLlm.Generation.Local;

/// <summary>
/// Text embeddings from the in-process model as Microsoft.Extensions.AI's embedding interface: the mean of the final
/// (normed) hidden states over the text's tokens, adapters included. A causal model's last state sees only what came
/// before it, so the mean over positions represents the whole text better than any one state. Texts longer than the
/// context are cut to it. The model must not be decoding at the same time (retrieval runs before generation).
/// </summary>
public sealed class HiddenStateEmbedder(PretrainedModel model) : IEmbeddingGenerator<string, Embedding<float>>
{
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var embeddings = new GeneratedEmbeddings<Embedding<float>>();
        int context = model.Config.MaxPositionEmbeddings;
        foreach (string text in values)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var ids = model.EncodePrompt(text);
            if (ids.Count > context) ids = ids[..context];
            if (ids.Count == 0) ids = [model.PadId];
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var input = tensor(ids.Select(i => (long)i).ToArray(), dtype: ScalarType.Int64).unsqueeze(0);
            var mean = model.Model.Hidden(input).mean([1]).squeeze(0).to(ScalarType.Float32);
            embeddings.Add(new Embedding<float>(mean.data<float>().ToArray()));
        }
        return Task.FromResult(embeddings);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
