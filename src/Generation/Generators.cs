using System.Security.Cryptography;
using FedLlm.Generation.Caching;
using FedLlm.Generation.Endpoint;
using FedLlm.Generation.Local;
using FedLlm.Models;
using FedLlm.Models.Lora;
using FedLlm.Tokenization;
using Microsoft.Extensions.AI;

namespace FedLlm.Generation;

/// <summary>Builds the project's one generator interface, an <see cref="IChatClient"/>, from a <see cref="GeneratorSection"/>.</summary>
public static class Generators
{
    /// <summary>The configured generator, answered from <see cref="GeneratorSection.CacheDir"/> when set. Dispose it when done.</summary>
    public static IChatClient Create(GeneratorSection section, string prefix = "generator.")
    {
        var problems = section.Validate(prefix);
        if (problems.Count > 0) throw new ArgumentException("invalid generator config: " + string.Join("; ", problems));
        IChatClient client = section.IsEndpoint ? EndpointChatClient.Create(section) : LoadLocal(section);
        if (section.CacheDir is null) return client;
        object[] identity = section.IsEndpoint
            ? ["endpoint", section.Endpoint!.TrimEnd('/'), section.Model!]
            : ["local", Path.GetFullPath(section.ModelPath!), section.Dtype, ((LocalChatClient)client).Template.Name, AdapterIdentity(section.AdapterPath)];
        return new ChatClientBuilder(client)
            .UseDistributedCache(new DiskResponseCache(section.CacheDir), cache => cache.CacheKeyAdditionalValues = identity)
            .Build();
    }

    /// <summary>
    /// A chat client over a model already in memory, with whatever adapters are attached to it (e.g. the model being
    /// trained). The model stays the caller's; dispose the client before it.
    /// </summary>
    public static LocalChatClient ForModel(PretrainedModel model, string template = ModelTemplates.Auto, int maxBatch = 8)
    {
        var host = new ModelHost(model, new HostLimits { MaxBatch = maxBatch });
        return new LocalChatClient(host, ModelTemplates.Resolve(model, template), Path.GetFileName(Path.GetFullPath(model.Directory)), owned: host);
    }

    private static LocalChatClient LoadLocal(GeneratorSection section)
    {
        var model = PretrainedModel.Load(section.ModelPath!, WeightDtypes.Names.Parse(section.Dtype, "generator.dtype"));
        try
        {
            if (section.AdapterPath is not null) LoraAdapterSet.Load(model.Model, section.AdapterPath);
            var host = new ModelHost(model, new HostLimits { MaxBatch = section.MaxBatch }, adapters: null, model);
            string name = Path.GetFileName(Path.GetFullPath(section.AdapterPath ?? section.ModelPath!));
            return new LocalChatClient(host, ModelTemplates.Resolve(model, section.Template), name, owned: host);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>An adapter by its folder and its weights' hash, so a retrained adapter in the same folder misses the cache (and reuse of generated rows).</summary>
    public static string AdapterIdentity(string? directory)
    {
        if (directory is null) return "no-adapter";
        using var weights = File.OpenRead(Path.Combine(directory, LoraAdapterSet.WeightsFileName));
        return Path.GetFullPath(directory) + "#" + Convert.ToHexStringLower(SHA256.HashData(weights));
    }

    /// <summary>
    /// A text's token count for the generator (so chunks are bounded in its tokens): the in-process model's tokenizer, or
    /// for an endpoint the tokenizer in <see cref="GeneratorSection.TokenizerPath"/>; null for an endpoint without one.
    /// </summary>
    public static Func<string, int>? TokenCounter(IChatClient client, GeneratorSection section)
    {
        if (client.GetService<LocalChatClient>() is { } local) return text => local.Model.Tokenizer.Encode(text).Count;
        if (section.TokenizerPath is null) return null;
        var tokenizer = TokenizerLoader.Load(section.TokenizerPath);
        return text => tokenizer.Encode(text).Count;
    }

    /// <summary>Embeddings from the in-process model behind <paramref name="client"/> (mean-pooled hidden states), or null for an endpoint.</summary>
    public static IEmbeddingGenerator<string, Embedding<float>>? Embedder(IChatClient client) =>
        client.GetService<LocalChatClient>() is { } local ? new HiddenStateEmbedder(local.Model) : null;

    /// <summary>
    /// Sends every prompt at once and returns the responses in order: the in-process model decodes them in batches,
    /// an endpoint gets them as fast as its concurrency limit allows.
    /// </summary>
    public static async Task<IReadOnlyList<ChatResponse>> GetResponsesAsync(this IChatClient client, IEnumerable<IEnumerable<ChatMessage>> prompts,
        ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        await Task.WhenAll(prompts.Select(p => client.GetResponseAsync(p, options, cancellationToken)));
}
