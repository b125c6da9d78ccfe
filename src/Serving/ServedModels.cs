using FedLlm.Generation.Local;

namespace FedLlm.Serving;

/// <summary>
/// One base model in memory and its adapters, each a model name clients may ask for; all of them share one decoding
/// host, so requests for different adapters are decoded in the same batches.
/// </summary>
public sealed class ServedModels : IDisposable
{
    private readonly AdapterHost _loaded;
    private readonly Dictionary<string, LocalChatClient> _byName = new(StringComparer.Ordinal);

    private ServedModels(AdapterHost loaded)
    {
        _loaded = loaded;
        for (int i = 0; i < loaded.Names.Count; i++) _byName[loaded.Names[i]] = loaded.Client(i);
    }

    public static ServedModels Load(ServeOptions options) =>
        new(AdapterHost.Load(options.ModelPath, options.Dtype, options.Template, options.Adapters,
            new HostLimits { MaxBatch = options.MaxBatch, MaxQueue = options.MaxQueue, Context = options.Context }, options.ServedModelName));

    public string BaseName => _loaded.Names[0];
    public string Template => _loaded.Template.Name;
    public IEnumerable<string> Names => _byName.Keys;
    public HostCounters Counters => _loaded.Host.Counters;
    public int Context => _loaded.Host.Context;

    public LocalChatClient? Find(string name) => _byName.GetValueOrDefault(name);

    public void Dispose() => _loaded.Dispose();
}
