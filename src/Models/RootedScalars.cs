using TorchSharp;

namespace FedLlm.Models;

/// <summary>
/// TorchSharp 0.107 passes a Scalar's native handle to libtorch without keeping the Scalar alive for the call, so an
/// implicit Scalar (made by every <c>a + b</c>, <c>add_(t)</c>, <c>x * 0.5</c>, <c>pow(2)</c>) can be finalised, and its
/// native value freed, while libtorch still reads it: "Expected false to be true" from Scalar::toFloat, or "Unknown
/// scalar type", under GC pressure. Hot paths use these Scalars instead (rooted here for the process's lifetime), and
/// hold per-module constants in fields.
/// </summary>
public static class RootedScalars
{
    public static readonly Scalar One = 1.ToScalar();
    public static readonly Scalar MinusOne = (-1).ToScalar();
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<double, Scalar> Constants = new();

    /// <summary>A rooted Scalar for a configuration constant (e.g. a LoRA scaling); only for a handful of distinct values.</summary>
    public static Scalar Constant(double value) => Constants.GetOrAdd(value, v => v.ToScalar());

    /// <summary>a + b with a Scalar that cannot be finalised mid-call.</summary>
    public static torch.Tensor Plus(this torch.Tensor a, torch.Tensor b) => a.add(b, One);

    /// <summary>a − b with a Scalar that cannot be finalised mid-call.</summary>
    public static torch.Tensor Minus(this torch.Tensor a, torch.Tensor b) => a.add(b, MinusOne);

    /// <summary>In-place a += b with a Scalar that cannot be finalised mid-call.</summary>
    public static torch.Tensor PlusInPlace(this torch.Tensor a, torch.Tensor b) => a.add_(b, One);
}
