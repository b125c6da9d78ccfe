using FedLlm.Data.Templates;
using FedLlm.Generation.Local;
using FedLlm.Models;
using FedLlm.Models.Lora;

namespace FedLlm.Serving;

/// <summary>
/// One base model in memory and its adapters, each a model name clients may ask for; all of them share one decoding
/// host, so requests for different adapters are decoded in the same batches.
/// </summary>
public sealed class ServedModels : IDisposable
{
    private readonly ModelHost _host;
    private readonly Dictionary<string, LocalChatClient> _byName = new(StringComparer.Ordinal);

    private ServedModels(ModelHost host) => _host = host;

    public static ServedModels Load(ServeOptions options)
    {
        string baseName = options.ServedModelName ?? Path.GetFileName(Path.GetFullPath(options.ModelPath));
        var duplicate = options.Adapters.Select(a => a.Name).Prepend(baseName).GroupBy(n => n).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"--adapter: the model name '{duplicate.Key}' is given twice");
        var model = PretrainedModel.Load(options.ModelPath, WeightDtypes.Names.Parse(options.Dtype, "--dtype"));
        AdapterBank? bank = null;
        ModelHost host;
        ChatTemplate template;
        try
        {
            template = ModelTemplates.Resolve(model, options.Template);
            bank = options.Adapters.Count == 0 ? null : AdapterBank.Load(model.Model, options.Adapters.Select(a => a.Path).ToArray());
            host = new ModelHost(model, new HostLimits { MaxBatch = options.MaxBatch, MaxQueue = options.MaxQueue, Context = options.Context },
                bank, [.. new IDisposable?[] { bank, model }.OfType<IDisposable>()]);
        }
        catch
        {
            bank?.Dispose();
            model.Dispose();
            throw;
        }
        var served = new ServedModels(host) { BaseName = baseName, Template = template.Name };
        served._byName[baseName] = new LocalChatClient(host, template, baseName);
        for (int i = 0; i < options.Adapters.Count; i++)
            served._byName[options.Adapters[i].Name] = new LocalChatClient(host, template, options.Adapters[i].Name, adapter: i + 1);
        return served;
    }

    public string BaseName { get; private init; } = "";
    public string Template { get; private init; } = "";
    public IEnumerable<string> Names => _byName.Keys;
    public HostCounters Counters => _host.Counters;
    public int Context => _host.Context;

    public LocalChatClient? Find(string name) => _byName.GetValueOrDefault(name);

    public void Dispose() => _host.Dispose();
}
