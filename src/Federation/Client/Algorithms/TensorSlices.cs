using static TorchSharp.torch;

namespace FedLlm.Federation.Client.Algorithms;

/// <summary>
/// A flat vector cut into tensors shaped like the trainable LoRA tensors, in their (layout) order. The slices live as
/// long as their owner (a round's hooks), so they are detached from whatever dispose scope the trainer has open when
/// they are first needed; the owner disposes them.
/// </summary>
internal static class TensorSlices
{
    public static List<Tensor> Of(float[] vector, IReadOnlyList<Tensor> shapes)
    {
        var slices = new List<Tensor>(shapes.Count);
        long offset = 0;
        foreach (var shape in shapes)
        {
            long length = shape.numel();
            if (offset + length > vector.Length)
                throw new ArgumentException($"a vector of {vector.Length} values is shorter than the {shapes.Count} trainable tensors it should cover");
            slices.Add(tensor(vector.AsSpan((int)offset, (int)length).ToArray(), shape.shape).DetachFromDisposeScope());
            offset += length;
        }
        if (offset != vector.Length) throw new ArgumentException($"a vector of {vector.Length} values does not match the trainable tensors ({offset} values)");
        return slices;
    }
}
