using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace FedLlm.Models.Lora;

/// <summary>Where each named tensor lives inside one flat fp32 parameter vector.</summary>
public sealed record ParameterSlot(string Name, long[] Shape, long Offset, long Length);

/// <summary>
/// The name/shape/offset table that turns a set of tensors into one contiguous fp32 vector and back: the unit that
/// federation, differential privacy and encryption operate on.
/// </summary>
public sealed class ParameterLayout
{
    private readonly Dictionary<string, ParameterSlot> _byName;

    public ParameterLayout(IEnumerable<(string Name, long[] Shape)> entries)
    {
        var slots = new List<ParameterSlot>();
        long offset = 0;
        foreach (var (name, shape) in entries)
        {
            long length = shape.Aggregate(1L, (a, b) => a * b);
            slots.Add(new ParameterSlot(name, shape, offset, length));
            offset += length;
        }
        Slots = slots;
        TotalLength = offset;
        _byName = slots.ToDictionary(s => s.Name);
    }

    public IReadOnlyList<ParameterSlot> Slots { get; }
    public long TotalLength { get; }

    public ParameterSlot this[string name] => _byName.TryGetValue(name, out var slot)
        ? slot
        : throw new KeyNotFoundException($"no parameter named '{name}' in the layout");

    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>True when both layouts list the same names with the same shapes in the same order.</summary>
    public bool SameAs(ParameterLayout other) =>
        Slots.Count == other.Slots.Count
        && Slots.Zip(other.Slots).All(p => p.First.Name == p.Second.Name && p.First.Shape.SequenceEqual(p.Second.Shape));

    /// <summary>Copies the tensors (in layout order) into a new fp32 vector.</summary>
    public float[] Flatten(IReadOnlyList<Tensor> tensors)
    {
        CheckCount(tensors.Count);
        var vector = new float[TotalLength];
        for (int i = 0; i < tensors.Count; i++)
        {
            using var scope = NewDisposeScope();
            var source = tensors[i].detach().to(ScalarType.Float32).contiguous();
            MemoryMarshal.Cast<byte, float>(source.bytes).CopyTo(vector.AsSpan((int)Slots[i].Offset, (int)Slots[i].Length));
        }
        return vector;
    }

    /// <summary>Overwrites the tensors (in layout order) with the matching slices of <paramref name="vector"/>.</summary>
    public void Unflatten(ReadOnlySpan<float> vector, IReadOnlyList<Tensor> tensors)
    {
        CheckCount(tensors.Count);
        if (vector.Length != TotalLength)
            throw new ArgumentException($"parameter vector has {vector.Length} values, the layout needs {TotalLength}");
        using var noGrad = no_grad();
        for (int i = 0; i < tensors.Count; i++)
        {
            var slot = Slots[i];
            using var scope = NewDisposeScope();
            var source = tensor(vector.Slice((int)slot.Offset, (int)slot.Length).ToArray(), slot.Shape);
            tensors[i].copy_(source);
        }
    }

    private void CheckCount(int count)
    {
        if (count != Slots.Count) throw new ArgumentException($"{count} tensors given, the layout has {Slots.Count}");
    }
}
