using FedLlm.Data.Templates;
using FedLlm.Models;
using FedLlm.Models.Lora;

namespace FedLlm.Generation.Local;

/// <summary>
/// One base model in memory with any number of PEFT adapters banked over it, all decoded on one <see cref="ModelHost"/>:
/// a chat client per model name (index 0 is the base, index i the i-th adapter), so requests for different adapters
/// share one load and one decoding batch. <c>fedllm serve</c> serves it; <c>fedllm eval</c> evaluates every adapter of it.
/// </summary>
public sealed class AdapterHost : IDisposable
{
    private readonly List<LocalChatClient> _clients = [];

    private AdapterHost(PretrainedModel model, AdapterBank? bank, ModelHost host, ChatTemplate template)
    {
        Model = model;
        Bank = bank;
        Host = host;
        Template = template;
    }

    public PretrainedModel Model { get; }
    /// <summary>The banked adapters (null without any); route it before a forward pass of your own.</summary>
    public AdapterBank? Bank { get; }
    public ModelHost Host { get; }
    public ChatTemplate Template { get; }
    /// <summary>Model names by index: the base first, then each adapter.</summary>
    public IReadOnlyList<string> Names => [.. _clients.Select(c => c.ModelId)];

    /// <summary>The chat client of model <paramref name="index"/> (0: the base).</summary>
    public LocalChatClient Client(int index) => _clients[index];

    /// <param name="baseName">The base model's name (default: its folder's name).</param>
    /// <exception cref="ArgumentException">Two models would have the same name.</exception>
    public static AdapterHost Load(string modelPath, string dtype, string template, IReadOnlyList<(string Name, string Path)> adapters, HostLimits limits,
        string? baseName = null, string dtypeKey = "--dtype")
    {
        string name = baseName ?? Path.GetFileName(Path.GetFullPath(modelPath));
        var duplicate = adapters.Select(a => a.Name).Prepend(name).GroupBy(n => n).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"--adapter: the model name '{duplicate.Key}' is given twice");
        var model = PretrainedModel.Load(modelPath, WeightDtypes.Names.Parse(dtype, dtypeKey));
        AdapterBank? bank = null;
        try
        {
            var chatTemplate = ModelTemplates.Resolve(model, template);
            bank = adapters.Count == 0 ? null : AdapterBank.Load(model.Model, [.. adapters.Select(a => a.Path)]);
            var host = new ModelHost(model, limits, bank, [.. new IDisposable?[] { bank, model }.OfType<IDisposable>()]);
            var loaded = new AdapterHost(model, bank, host, chatTemplate);
            loaded._clients.Add(new LocalChatClient(host, chatTemplate, name));
            for (int i = 0; i < adapters.Count; i++) loaded._clients.Add(new LocalChatClient(host, chatTemplate, adapters[i].Name, adapter: i + 1));
            return loaded;
        }
        catch
        {
            bank?.Dispose();
            model.Dispose();
            throw;
        }
    }

    public void Dispose() => Host.Dispose();
}
