using FedLlm.Models.Llama;
using FedLlm.Models.Lora;
using static TorchSharp.torch;

namespace FedLlm.Models.Generation;

/// <summary>
/// Batched decoding on the TorchSharp model. Each open sequence owns a slot of one shared cache; a forward pass advances
/// many sequences at once, each at its own positions (rotary offsets per row) under a mask that lets a row see only its
/// own past. Rows of different lengths are right-padded: padded tokens are never written to the cache and never seen by
/// real ones, so batching changes nothing but floating-point summation order.
/// </summary>
public sealed class TorchDecodeEngine : IDecodeEngine
{
    private readonly CausalLm _model;
    private readonly AdapterBank? _adapters;
    private readonly SlotKvCache _cache;
    private readonly Dictionary<int, OpenSequence> _open = [];
    // Sequence id per occupied slot; occupied slots are always 0..Count-1 (see Close).
    private readonly List<int> _slotOwners = [];
    private int _nextId;

    /// <param name="context">Positions per sequence; at most (and by default) the model's max_position_embeddings.</param>
    /// <param name="adapters">Adapters that sequences may select by index when opened.</param>
    public TorchDecodeEngine(CausalLm model, int maxSequences, int? context = null, AdapterBank? adapters = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequences, 1);
        _model = model;
        _adapters = adapters;
        MaxSequences = maxSequences;
        Context = Math.Min(context ?? model.Config.MaxPositionEmbeddings, model.Config.MaxPositionEmbeddings);
        _cache = new SlotKvCache(model.Config, model.DType, maxSequences, Context);
    }

    public int Context { get; }
    public int MaxSequences { get; }

    public int Open(int adapter = 0)
    {
        if (_open.Count >= MaxSequences) throw new InvalidOperationException($"all {MaxSequences} sequence slots are in use");
        int adapters = _adapters?.Directories.Count ?? 0;
        if (adapter < 0 || adapter > adapters) throw new ArgumentOutOfRangeException(nameof(adapter), adapter, $"adapter index must be in [0, {adapters}]");
        int id = _nextId++;
        _open[id] = new OpenSequence { Slot = _slotOwners.Count, Adapter = adapter };
        _slotOwners.Add(id);
        return id;
    }

    public int Length(int sequence) => Get(sequence).Length;

    public void Close(int sequence)
    {
        var closing = Get(sequence);
        int last = _slotOwners.Count - 1;
        if (closing.Slot != last)
        {
            // Keep occupied slots contiguous, so a step over every open sequence reads the cache as one view.
            var moved = _open[_slotOwners[last]];
            _cache.Move(last, closing.Slot, moved.Length);
            moved.Slot = closing.Slot;
            _slotOwners[closing.Slot] = _slotOwners[last];
        }
        _slotOwners.RemoveAt(last);
        _open.Remove(sequence);
    }

    public Tensor Append(IReadOnlyList<int> sequences, IReadOnlyList<IReadOnlyList<int>> tokens)
    {
        if (sequences.Count == 0 || tokens.Count != sequences.Count)
            throw new ArgumentException($"expected one token list per sequence, got {sequences.Count} sequences and {tokens.Count} lists");
        var rows = new StepRow[sequences.Count];
        for (int i = 0; i < rows.Length; i++)
        {
            var sequence = Get(sequences[i]);
            if (tokens[i].Count == 0) throw new ArgumentException($"sequence {sequences[i]}: no tokens to append");
            if (sequence.Length + tokens[i].Count > Context)
                throw new ArgumentException($"sequence {sequences[i]}: {sequence.Length + tokens[i].Count} positions exceed the context of {Context}");
            rows[i] = new StepRow(i, sequence, tokens[i]);
        }
        // Slot order makes the rows' cache slots one contiguous view whenever every open sequence takes part.
        Array.Sort(rows, (a, b) => a.Sequence.Slot.CompareTo(b.Sequence.Slot));

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        _cache.Reserve(_slotOwners.Count, rows.Max(r => r.End));
        _adapters?.Route(rows.Select(r => r.Sequence.Adapter).ToArray());
        var logits = new StepBatch(rows, _cache, Context).Run(_model);
        foreach (var row in rows) row.Sequence.Length = row.End;

        bool reordered = rows.Select((r, i) => r.Caller != i).Any(x => x);
        if (reordered)
        {
            var inverse = new long[rows.Length];
            for (int i = 0; i < rows.Length; i++) inverse[rows[i].Caller] = i;
            logits = logits.index_select(0, tensor(inverse));
        }
        return logits.MoveToOuterDisposeScope();
    }

    private OpenSequence Get(int sequence) =>
        _open.TryGetValue(sequence, out var open) ? open : throw new ArgumentException($"sequence {sequence} is not open");

    public void Dispose()
    {
        _cache.Dispose();
        _open.Clear();
        _slotOwners.Clear();
    }

    private sealed class OpenSequence
    {
        public int Slot;
        public int Length;
        public int Adapter;
    }

    /// <summary>One sequence's part of a step: its position in the caller's list and the tokens it appends.</summary>
    private sealed record StepRow(int Caller, OpenSequence Sequence, IReadOnlyList<int> Tokens)
    {
        public int Start => Sequence.Length;
        public int End => Sequence.Length + Tokens.Count;
    }

    /// <summary>The tensors of one forward pass over rows in slot order, and the pass itself.</summary>
    private sealed class StepBatch
    {
        private readonly StepRow[] _rows;
        private readonly SlotKvCache _cache;
        private readonly int _length;   // tokens per row after padding
        private readonly int _visible;  // cache positions any row reads
        private readonly Tensor _ids, _positions, _writeTargets;
        // Which cached positions each token may see; null when every token sees all of them (one row decoding, or rows
        // of equal length), with _causal for a fresh prompt that sees itself causally: both let attention skip the mask.
        private readonly Tensor? _mask;
        private readonly bool _causal;
        private readonly Tensor? _writeSources;  // real tokens among the padded ones; null when nothing is padded
        private readonly Tensor? _slots;         // the rows' slots when they are not one contiguous range

        public StepBatch(StepRow[] rows, SlotKvCache cache, int context)
        {
            _rows = rows;
            _cache = cache;
            int n = rows.Length;
            _length = rows.Max(r => r.Tokens.Count);
            _visible = rows.Max(r => r.End);
            var ids = new long[n * _length];
            var positions = new long[n * _length];
            bool sameEnds = rows.All(r => r.End == _visible);
            _causal = sameEnds && _length > 1 && rows.All(r => r.Start == 0);
            bool[]? mask = sameEnds && (_length == 1 || _causal) ? null : new bool[n * _length * _visible];
            var sources = new List<long>();
            var targets = new List<long>();
            for (int r = 0; r < n; r++)
            {
                var row = rows[r];
                for (int i = 0; i < _length; i++)
                {
                    int token = r * _length + i;
                    bool real = i < row.Tokens.Count;
                    ids[token] = real ? row.Tokens[i] : row.Tokens[0];
                    positions[token] = Math.Min(row.Start + i, context - 1);
                    if (real)
                    {
                        sources.Add(token);
                        targets.Add((long)row.Sequence.Slot * cache.Positions + row.Start + i);
                    }
                    // Causal within the row: its own cache up to and including this position.
                    if (mask is not null) Array.Fill(mask, true, token * _visible, Math.Min(row.Start + i + 1, _visible));
                }
            }
            _ids = tensor(ids, [n, _length]);
            _positions = tensor(positions, [n, _length]);
            _mask = mask is null ? null : tensor(mask, [n, 1, _length, _visible]);
            _writeTargets = tensor(targets.ToArray());
            _writeSources = sources.Count == n * _length ? null : tensor(sources.ToArray());
            bool contiguous = rows.Select((row, r) => row.Sequence.Slot == rows[0].Sequence.Slot + r).All(x => x);
            _slots = contiguous ? null : tensor(rows.Select(row => (long)row.Sequence.Slot).ToArray());
        }

        /// <summary>fp32 logits [rows, vocab] after each row's last real token.</summary>
        public Tensor Run(CausalLm model)
        {
            int n = _rows.Length;
            var hidden = model.EmbedTokens.index_select(0, _ids.flatten()).view(n, _length, -1);
            for (int layer = 0; layer < model.Layers.Count; layer++)
            {
                using var scope = NewDisposeScope();
                var block = model.Layers[layer];
                // DecoderLayer.Forward's residual structure, with this batch's attention.
                var attended = Attend(model, layer, block.InputLayerNorm.forward(hidden));
                var residual = hidden.Plus(attended.to(hidden.dtype));
                hidden = residual.Plus(block.Mlp.forward(block.PostAttentionLayerNorm.forward(residual)).to(hidden.dtype)).MoveToOuterDisposeScope();
            }
            var last = _writeSources is null
                ? hidden.narrow(1, _length - 1, 1).squeeze(1)
                : hidden.view(n * _length, -1).index_select(0, tensor(_rows.Select((row, r) => (long)(r * _length + row.Tokens.Count - 1)).ToArray()));
            return model.Logits(model.FinalNorm.forward(last));
        }

        private Tensor Attend(CausalLm model, int layer, Tensor x)
        {
            var config = model.Config;
            var attention = model.Layers[layer].SelfAttention;
            int n = _rows.Length, heads = config.NumAttentionHeads, kvHeads = config.NumKeyValueHeads, headDim = config.HeadDim;
            var q = model.Rope.Apply(attention.QProj.forward(x).view(n, _length, heads, headDim).transpose(1, 2), _positions);
            var k = model.Rope.Apply(attention.KProj.forward(x).view(n, _length, kvHeads, headDim).transpose(1, 2), _positions);
            var v = attention.VProj.forward(x).view(n, _length, kvHeads, headDim);
            Store(_cache.Keys(layer), k.transpose(1, 2));
            Store(_cache.Values(layer), v);
            var keys = Attention.RepeatKeyValueHeads(Visible(_cache.Keys(layer)).to(q.dtype), config.KeyValueGroups);
            var values = Attention.RepeatKeyValueHeads(Visible(_cache.Values(layer)).to(q.dtype), config.KeyValueGroups);
            var attended = nn.functional.scaled_dot_product_attention(q, keys, values, attn_mask: _mask, is_casual: _causal);
            return attention.OProj.forward(attended.transpose(1, 2).reshape(n, _length, heads * headDim));
        }

        /// <summary>Writes the real tokens' keys or values [rows, length, kv_heads, head_dim] into their slots.</summary>
        private void Store(Tensor cache, Tensor entries)
        {
            var flat = entries.reshape(_rows.Length * _length, entries.shape[2], entries.shape[3]);
            if (_writeSources is not null) flat = flat.index_select(0, _writeSources);
            cache.view(-1, cache.shape[2], cache.shape[3]).index_copy_(0, _writeTargets, flat.to(cache.dtype));
        }

        /// <summary>The rows' cached keys or values as [rows, kv_heads, visible, head_dim].</summary>
        private Tensor Visible(Tensor cache)
        {
            var slots = _slots is null ? cache.narrow(0, _rows[0].Sequence.Slot, _rows.Length) : cache.index_select(0, _slots);
            return slots.narrow(1, 0, _visible).transpose(1, 2);
        }
    }
}
