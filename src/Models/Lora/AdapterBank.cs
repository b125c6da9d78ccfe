using FedLlm.Models.Llama;
using FedLlm.Models.SafeTensors;
using static TorchSharp.torch;

namespace FedLlm.Models.Lora;

/// <summary>
/// Several PEFT LoRA adapters over one base model, chosen per batch row, so one loaded base serves many fine-tunes in
/// the same decoding batch (as vLLM's LoRA modules do). Adapter 0 is the base itself; adapter i is
/// <see cref="Directories"/>[i - 1]. Inference only: the weights are plain fp32 tensors, not trainable parameters.
/// </summary>
public sealed class AdapterBank : IDisposable
{
    private readonly RowRouting _routing = new();
    private readonly List<BankedLora> _layers = [];

    private AdapterBank(IReadOnlyList<string> directories) => Directories = directories;

    public IReadOnlyList<string> Directories { get; }

    /// <summary>Loads every adapter folder and attaches one banked adapter to each projection any of them targets.</summary>
    public static AdapterBank Load(CausalLm model, IReadOnlyList<string> directories)
    {
        var bank = new AdapterBank(directories);
        try
        {
            var banked = new Dictionary<string, BankedLora>();
            var projections = model.Projections().ToList();
            for (int i = 0; i < directories.Count; i++)
            {
                var config = LoraConfig.Load(directories[i]);
                using var file = SafeTensorsFile.Open(Path.Combine(directories[i], LoraAdapterSet.WeightsFileName));
                var keys = new List<string>();
                foreach (var (path, projection) in projections)
                {
                    if (!config.TargetModules.Contains(path[(path.LastIndexOf('.') + 1)..])) continue;
                    string a = $"{LoraAdapterSet.PeftKeyPrefix}{path}.lora_A.weight", b = $"{LoraAdapterSet.PeftKeyPrefix}{path}.lora_B.weight";
                    using var aWeight = LoraAdapterSet.ReadChecked(file, a, [config.Rank, projection.InFeatures]);
                    using var bWeight = LoraAdapterSet.ReadChecked(file, b, [projection.OutFeatures, config.Rank]);
                    if (!banked.TryGetValue(path, out var layer))
                    {
                        layer = new BankedLora(bank._routing);
                        projection.Attach(layer);
                        banked[path] = layer;
                        bank._layers.Add(layer);
                    }
                    layer.Add(i + 1, aWeight.to(ScalarType.Float32, copy: true), bWeight.to(ScalarType.Float32, copy: true), config.Scaling);
                    keys.Add(a);
                    keys.Add(b);
                }
                LoraAdapterSet.RejectUnexpected(file, keys);
            }
            return bank;
        }
        catch
        {
            bank.Dispose();
            throw;
        }
    }

    /// <summary>Selects each batch row's adapter for the forward passes that follow (0: none).</summary>
    public void Route(IReadOnlyList<int> rowAdapters)
    {
        foreach (int adapter in rowAdapters)
            if (adapter < 0 || adapter > Directories.Count)
                throw new ArgumentOutOfRangeException(nameof(rowAdapters), adapter, $"adapter index must be in [0, {Directories.Count}]");
        _routing.Set(rowAdapters);
    }

    public void Dispose()
    {
        foreach (var layer in _layers) layer.Dispose();
        _routing.Dispose();
    }

    /// <summary>Which adapter each row of the current batch uses, with the row indices of each adapter as tensors.</summary>
    private sealed class RowRouting : IDisposable
    {
        public int[] Rows { get; private set; } = [];
        public bool Uniform { get; private set; } = true;
        public Dictionary<int, Tensor> Groups { get; } = [];

        public void Set(IReadOnlyList<int> rows)
        {
            Rows = [.. rows];
            Uniform = Rows.Distinct().Count() <= 1;
            Dispose();
            if (Uniform) return;
            foreach (var group in Enumerable.Range(0, Rows.Length).GroupBy(r => Rows[r]))
                Groups[group.Key] = tensor(group.Select(r => (long)r).ToArray()).DetachFromDisposeScope();
        }

        public void Dispose()
        {
            foreach (var t in Groups.Values) t.Dispose();
            Groups.Clear();
        }
    }

    /// <summary>The bank's adapters on one projection: delta(x) = scaling · B(A(x)) with each row's own A, B and scaling.</summary>
    private sealed class BankedLora(RowRouting routing) : ILinearAdapter, IDisposable
    {
        private readonly Dictionary<int, (Tensor A, Tensor B, TorchSharp.Scalar Scaling)> _weights = [];

        public void Add(int adapter, Tensor a, Tensor b, double scaling) =>
            _weights[adapter] = (a.DetachFromDisposeScope(), b.DetachFromDisposeScope(), RootedScalars.Constant(scaling));

        public bool Enabled => routing.Rows.Any(_weights.ContainsKey);

        public Tensor Forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var x = input.to(ScalarType.Float32);
            if (routing.Uniform) return Delta(x, _weights[routing.Rows[0]]).MoveToOuterDisposeScope();
            long[] shape = [.. input.shape];
            shape[^1] = _weights.Values.First().B.shape[0];
            var delta = zeros(shape, dtype: ScalarType.Float32);
            foreach (var (adapter, rows) in routing.Groups)
            {
                if (!_weights.TryGetValue(adapter, out var weights)) continue;
                delta.index_copy_(0, rows, Delta(x.index_select(0, rows), weights));
            }
            return delta.MoveToOuterDisposeScope();
        }

        // The same arithmetic as LoraLayer.Forward, so a banked adapter decodes exactly as the attached one does.
        private static Tensor Delta(Tensor x, (Tensor A, Tensor B, TorchSharp.Scalar Scaling) w) =>
            nn.functional.linear(nn.functional.linear(x, w.A), w.B).mul_(w.Scaling);

        public void RegisterOn(Projection target)
        {
            // Nothing to register: banked weights are served, never trained or saved with the model.
        }

        public void Dispose()
        {
            foreach (var (a, b, _) in _weights.Values)
            {
                a.Dispose();
                b.Dispose();
            }
        }
    }
}
