using System.Runtime.CompilerServices;
using FedLlm.Models.Llama;
using static TorchSharp.torch;

namespace FedLlm.Models.Generation.Fused;

/// <summary>
/// Decoding for one or a few sequences in C# kernels (see <see cref="MatVec"/>): per token, each layer is a handful of
/// vectorised, multithreaded passes over the weights plus fp32 element-wise work in place, so its cost is the weight
/// stream rather than the ~75 separate libtorch calls a layer takes on <see cref="TorchDecodeEngine"/>. Activations and
/// the cache are fp32 whatever the weight dtype (bf16 weights are widened in registers). Rows of a step (a prompt's
/// tokens, or one token per sequence) go through the layers up to <see cref="RowsPerPass"/> at a time, reading each
/// weight once per pass. Only adapter 0 is served: the model as loaded, with an attached, enabled LoRA adapter merged.
/// </summary>
public sealed unsafe class FusedDecodeEngine : IDecodeEngine
{
    /// <summary>Most sequences an engine is built for: beyond this, libtorch's batched matmuls win.</summary>
    public const int MaxBatch = 8;

    /// <summary>Token rows per pass through the layers (weights are read once per pass).</summary>
    public const int RowsPerPass = 16;

    private readonly ModelConfig _config;
    private readonly FusedWeights _weights;
    private readonly Rope _rope;
    private readonly FusedKvCache _cache;
    private readonly float _eps;
    private readonly int _hidden, _qDim, _kvDim;
    private readonly int[] _lengths;
    private readonly bool[] _occupied;
    private readonly Dictionary<int, int> _slots = [];
    private int _nextId;

    // Scratch per pass, [RowsPerPass, width] each, at fixed addresses the plans point into.
    private readonly float* _x, _normed, _q, _k, _v, _attended, _projected, _gate, _up, _logits, _scores;
    private readonly (MatVecPlan Qkv, MatVecPlan O, MatVecPlan GateUp, MatVecPlan Down)[] _plans;
    private readonly MatVecPlan _head;

    /// <param name="context">Positions per sequence; at most (and by default) the model's max_position_embeddings.</param>
    /// <exception cref="NotSupportedException">The model has parts these kernels do not compute (see <see cref="Unsupported"/>).</exception>
    public FusedDecodeEngine(CausalLm model, int maxSequences, int? context = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequences, 1);
        _config = model.Config;
        MaxSequences = maxSequences;
        Context = Math.Min(context ?? _config.MaxPositionEmbeddings, _config.MaxPositionEmbeddings);
        _weights = FusedWeights.Load(model);
        _rope = new Rope(model.Rope, _config.HeadDim, Context);
        _eps = (float)_config.RmsNormEps;
        _hidden = _config.HiddenSize;
        _qDim = _config.NumAttentionHeads * _config.HeadDim;
        _kvDim = _config.NumKeyValueHeads * _config.HeadDim;
        _cache = new FusedKvCache(maxSequences, _config.NumHiddenLayers, _kvDim, Context);
        _lengths = new int[maxSequences];
        _occupied = new bool[maxSequences];

        var arena = _weights.Arena;
        float* Rows(int width) => arena.Allocate((long)RowsPerPass * width);
        _x = Rows(_hidden);
        _normed = Rows(_hidden);
        _q = Rows(_qDim);
        _k = Rows(_kvDim);
        _v = Rows(_kvDim);
        _attended = Rows(_qDim);
        _projected = Rows(_hidden);
        _gate = Rows(_config.IntermediateSize);
        _up = Rows(_config.IntermediateSize);
        _logits = Rows(_config.VocabSize);
        _scores = arena.Allocate(Context);
        _plans = _weights.Layers.Select(l => (
            new MatVecPlan(new(l.Q, _normed, _q, l.QBias), new(l.K, _normed, _k, l.KBias), new(l.V, _normed, _v, l.VBias)),
            new MatVecPlan(new MatVecPlan.Product(l.O, _attended, _projected)),
            new MatVecPlan(new(l.Gate, _normed, _gate), new(l.Up, _normed, _up)),
            new MatVecPlan(new MatVecPlan.Product(l.Down, _gate, _projected)))).ToArray();
        _head = new MatVecPlan(new MatVecPlan.Product(_weights.Output, _normed, _logits));
    }

    /// <summary>Why <paramref name="model"/> needs the libtorch engine, or null when this one computes it exactly.</summary>
    public static string? Unsupported(CausalLm model) => FusedWeights.Unsupported(model);

    public int Context { get; }
    public int MaxSequences { get; }

    /// <summary>Weight bytes streamed per decoded token (for the weight-streaming limit: bandwidth ÷ this).</summary>
    public long WeightBytesPerToken => _weights.BytesPerToken;

    public int Open(int adapter = 0)
    {
        if (adapter != 0)
            throw new NotSupportedException($"the fused decode engine serves only adapter 0 (the model as loaded), not adapter {adapter}");
        int slot = Array.IndexOf(_occupied, false);
        if (slot < 0) throw new InvalidOperationException($"all {MaxSequences} sequence slots are in use");
        _occupied[slot] = true;
        _lengths[slot] = 0;
        int id = _nextId++;
        _slots[id] = slot;
        return id;
    }

    public int Length(int sequence) => _lengths[Slot(sequence)];

    public void Close(int sequence)
    {
        _occupied[Slot(sequence)] = false;
        _slots.Remove(sequence);
    }

    public Tensor Append(IReadOnlyList<int> sequences, IReadOnlyList<IReadOnlyList<int>> tokens)
    {
        if (sequences.Count == 0 || tokens.Count != sequences.Count)
            throw new ArgumentException($"expected one token list per sequence, got {sequences.Count} sequences and {tokens.Count} lists");
        var rows = new List<Row>();
        int longest = 0;
        for (int s = 0; s < sequences.Count; s++)
        {
            int slot = Slot(sequences[s]);
            if (tokens[s].Count == 0) throw new ArgumentException($"sequence {sequences[s]}: no tokens to append");
            int end = _lengths[slot] + tokens[s].Count;
            if (end > Context) throw new ArgumentException($"sequence {sequences[s]}: {end} positions exceed the context of {Context}");
            foreach (int token in tokens[s])
                if ((uint)token >= (uint)_config.VocabSize) throw new ArgumentException($"sequence {sequences[s]}: token id {token} is outside the vocabulary of {_config.VocabSize}");
            for (int i = 0; i < tokens[s].Count; i++)
                rows.Add(new Row(slot, _lengths[slot] + i, tokens[s][i], i == tokens[s].Count - 1 ? s : -1));
            longest = Math.Max(longest, end);
        }
        _cache.Reserve(longest);
        var logits = new float[sequences.Count * (long)_config.VocabSize];
        for (int start = 0; start < rows.Count; start += RowsPerPass)
            Pass(rows.GetRange(start, Math.Min(RowsPerPass, rows.Count - start)), logits);
        for (int s = 0; s < sequences.Count; s++) _lengths[Slot(sequences[s])] += tokens[s].Count;
        return tensor(logits, [sequences.Count, _config.VocabSize]);
    }

    /// <summary>Runs up to <see cref="RowsPerPass"/> tokens through every layer; writes the logits of rows that end a sequence.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Pass(List<Row> rows, float[] logits)
    {
        int n = rows.Count, heads = _config.NumAttentionHeads, kvHeads = _config.NumKeyValueHeads, headDim = _config.HeadDim;
        for (int i = 0; i < n; i++) _weights.Embedding.ReadRow(rows[i].Token, new Span<float>(_x + i * _hidden, _hidden));
        for (int layer = 0; layer < _plans.Length; layer++)
        {
            var weights = _weights.Layers[layer];
            var plans = _plans[layer];
            for (int i = 0; i < n; i++) RowKernels.RmsNorm(_x + i * _hidden, weights.AttentionNorm, _eps, _normed + i * _hidden, _hidden);
            plans.Qkv.Run(n);
            // Every row's key and value go into the cache before any row attends: a prompt row at position p then sees
            // the rows before it in this pass, and never those after (it reads positions 0..p only).
            for (int i = 0; i < n; i++)
            {
                var row = rows[i];
                _rope.Apply(_q + i * _qDim, heads, row.Position);
                _rope.Apply(_k + i * _kvDim, kvHeads, row.Position);
                long at = (long)row.Position * _kvDim;
                Buffer.MemoryCopy(_k + i * _kvDim, _cache.Keys(row.Slot, layer) + at, _kvDim * sizeof(float), _kvDim * sizeof(float));
                Buffer.MemoryCopy(_v + i * _kvDim, _cache.Values(row.Slot, layer) + at, _kvDim * sizeof(float), _kvDim * sizeof(float));
            }
            for (int i = 0; i < n; i++)
            {
                var row = rows[i];
                CachedAttention.Attend(_q + i * _qDim, _cache.Keys(row.Slot, layer), _cache.Values(row.Slot, layer), row.Position + 1,
                    heads, kvHeads, headDim, _attended + i * _qDim, _scores);
            }
            plans.O.Run(n);
            for (int i = 0; i < n; i++)
            {
                RowKernels.Add(_x + i * _hidden, _projected + i * _hidden, _hidden);
                RowKernels.RmsNorm(_x + i * _hidden, weights.MlpNorm, _eps, _normed + i * _hidden, _hidden);
            }
            plans.GateUp.Run(n);
            for (int i = 0; i < n; i++) RowKernels.SiluGate(_gate + i * _config.IntermediateSize, _up + i * _config.IntermediateSize, _config.IntermediateSize);
            plans.Down.Run(n);
            for (int i = 0; i < n; i++) RowKernels.Add(_x + i * _hidden, _projected + i * _hidden, _hidden);
        }
        // Only rows that end their sequence need logits: normalise them into the first rows and project those.
        var ending = Enumerable.Range(0, n).Where(i => rows[i].Caller >= 0).ToList();
        if (ending.Count == 0) return;
        for (int j = 0; j < ending.Count; j++)
            RowKernels.RmsNorm(_x + ending[j] * _hidden, _weights.FinalNorm, _eps, _normed + j * _hidden, _hidden);
        _head.Run(ending.Count);
        int vocab = _config.VocabSize;
        for (int j = 0; j < ending.Count; j++)
            new ReadOnlySpan<float>(_logits + (long)j * vocab, vocab).CopyTo(logits.AsSpan(rows[ending[j]].Caller * vocab, vocab));
    }

    private int Slot(int sequence) =>
        _slots.TryGetValue(sequence, out int slot) ? slot : throw new ArgumentException($"sequence {sequence} is not open");

    public void Dispose()
    {
        _cache.Dispose();
        _weights.Dispose();
        _slots.Clear();
    }

    /// <summary>One token of a step: where it goes, and which caller row its logits fill when it ends a sequence (else -1).</summary>
    private readonly record struct Row(int Slot, int Position, int Token, int Caller);
}
