using FedLlm.Models;
using FedLlm.Models.Llama;
using FedLlm.Models.SafeTensors;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedLlm.Models.Lora;

/// <summary>
/// The LoRA adapters attached to one model: their parameters in a fixed order, a flat-vector view of them, and
/// PEFT-format persistence (<c>adapter_config.json</c> + <c>adapter_model.safetensors</c>).
/// </summary>
public sealed class LoraAdapterSet
{
    /// <summary>PEFT prefixes every key with the wrapper path of its PeftModel (base_model) and LoraModel (model).</summary>
    public const string PeftKeyPrefix = "base_model.model.";
    public const string ConfigFileName = "adapter_config.json";
    public const string WeightsFileName = "adapter_model.safetensors";

    private readonly List<(string ModulePath, LoraLayer Layer)> _layers = [];

    private LoraAdapterSet(CausalLm model, LoraConfig config)
    {
        Model = model;
        Config = config;
    }

    public CausalLm Model { get; }
    public LoraConfig Config { get; }
    public IReadOnlyList<(string ModulePath, LoraLayer Layer)> Layers => _layers;
    public ParameterLayout Layout { get; private set; } = new([]);

    /// <summary>Parameter names as in PEFT files (without the prefix), e.g. <c>model.layers.0.self_attn.q_proj.lora_A.weight</c>.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Parameters { get; private set; } = [];

    public IReadOnlyList<Tensor> Tensors => Parameters.Select(p => (Tensor)p.Parameter).ToList();

    /// <summary>Attaches fresh adapters (PEFT initialisation, seeded) to every targeted projection of <paramref name="model"/>.</summary>
    public static LoraAdapterSet Attach(CausalLm model, LoraConfig config, ulong seed)
    {
        config.Validate();
        var set = new LoraAdapterSet(model, config);
        using var generator = new Generator(seed);
        foreach (var (path, projection) in model.Projections())
        {
            string module = path[(path.LastIndexOf('.') + 1)..];
            if (!config.TargetModules.Contains(module)) continue;
            if (projection.Adapter is not null)
                throw new InvalidOperationException($"{path} already carries an adapter; attach LoRA once per model");
            set._layers.Add((path, new LoraLayer(projection, config.Rank, config.Scaling, config.Dropout, generator)));
        }
        if (set._layers.Count == 0)
            throw new ArgumentException($"none of the target modules ({string.Join(", ", config.TargetModules)}) exist in the model");
        set.Parameters = set._layers
            .SelectMany(l => new[] { ($"{l.ModulePath}.lora_A.weight", l.Layer.A.Weight), ($"{l.ModulePath}.lora_B.weight", l.Layer.B.Weight) })
            .ToList();
        set.Layout = new ParameterLayout(set.Parameters.Select(p => (p.Name, p.Parameter.shape)));
        return set;
    }

    /// <summary>Turns every adapter on or off at once (off = the base model, used as DPO's reference).</summary>
    public bool Enabled
    {
        set { foreach (var (_, layer) in _layers) layer.Enabled = value; }
    }

    public bool Training
    {
        set { foreach (var (_, layer) in _layers) layer.Training = value; }
    }

    public float[] Flatten() => Layout.Flatten(Tensors);

    public void Load(ReadOnlySpan<float> vector) => Layout.Unflatten(vector, Tensors);

    /// <summary>Writes the adapter in PEFT format into <paramref name="directory"/>.</summary>
    public void Save(string directory, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Directory.CreateDirectory(directory);
        var tensors = Parameters.Select(p => new KeyValuePair<string, Tensor>(PeftKeyPrefix + p.Name, p.Parameter.detach())).ToList();
        var meta = new Dictionary<string, string> { ["format"] = "pt" };
        if (metadata is not null) foreach (var (k, v) in metadata) meta[k] = v;
        SafeTensorsWriter.Write(Path.Combine(directory, WeightsFileName), tensors, meta);
        Config.Save(Path.Combine(directory, ConfigFileName));
    }

    /// <summary>Attaches adapters as described by a PEFT folder and loads its weights.</summary>
    public static LoraAdapterSet Load(CausalLm model, string directory)
    {
        var set = Attach(model, LoraConfig.Load(directory), seed: 0);
        set.LoadWeights(directory);
        return set;
    }

    /// <summary>Loads weights from a PEFT folder whose keys and shapes must match these adapters exactly.</summary>
    public void LoadWeights(string directory)
    {
        using var file = SafeTensorsFile.Open(Path.Combine(directory, WeightsFileName));
        using var noGrad = no_grad();
        foreach (var (name, parameter) in Parameters)
        {
            using var loaded = ReadChecked(file, PeftKeyPrefix + name, parameter.shape);
            parameter.copy_(loaded);
        }
        RejectUnexpected(file, Parameters.Select(p => PeftKeyPrefix + p.Name));
    }

    /// <summary>Reads tensor <paramref name="key"/> of a PEFT weights file, which must have exactly <paramref name="shape"/>.</summary>
    internal static Tensor ReadChecked(SafeTensorsFile file, string key, long[] shape)
    {
        if (!file.Tensors.TryGetValue(key, out var info))
            throw new ModelLoadException(file.Path, $"tensor '{key}' is missing");
        if (!info.Shape.SequenceEqual(shape))
            throw new ModelLoadException(file.Path, $"tensor '{key}' has shape [{string.Join(", ", info.Shape)}], expected [{string.Join(", ", shape)}]");
        return file.ReadTensor(key);
    }

    /// <summary>Fails when a PEFT weights file holds tensors its adapter_config.json does not describe.</summary>
    internal static void RejectUnexpected(SafeTensorsFile file, IEnumerable<string> expectedKeys)
    {
        var expected = expectedKeys.ToHashSet();
        var unexpected = file.Tensors.Keys.Where(k => !expected.Contains(k)).ToList();
        if (unexpected.Count > 0)
            throw new ModelLoadException(file.Path, $"unexpected tensor '{unexpected[0]}' (adapter does not match adapter_config.json)");
    }

    /// <summary>Adds every adapter's dense update into its base weight (for export); the adapters are then turned off.</summary>
    public void MergeIntoBase()
    {
        using var noGrad = no_grad();
        var projections = Model.Projections().ToDictionary(p => p.Path, p => p.Projection);
        foreach (var (path, layer) in _layers)
        {
            var projection = projections[path];
            using var delta = layer.DeltaWeight();
            using var merged = projection.Weight.to(ScalarType.Float32).PlusInPlace(delta);
            projection.Weight.copy_(merged);
            layer.Enabled = false;
        }
    }
}
