namespace FedLlm.Privacy.Mechanisms;

/// <summary>
/// N(0, 1) by the Box–Muller transform over a uniform source: z = √(−2 ln u₁)·(cos 2πu₂, sin 2πu₂) with
/// u₁ ∈ (0, 1], u₂ ∈ [0, 1) of 53 bits each; both outputs are used.
/// </summary>
/// <remarks>
/// Limitation shared with Opacus and Flower: floating-point Gaussian sampling is not a perfect realisation of
/// the continuous Gaussian (tails are cut at |z| ≈ 8.57 and the output lattice is irregular), which has been
/// shown to leak in principle (Mironov 2012; Jin et al. 2022). A discrete Gaussian sampler would close this.
/// </remarks>
public class BoxMullerGaussianSource : IGaussianSource
{
    private readonly IRandomSource _uniform;
    private double _spare;
    private bool _hasSpare;

    public BoxMullerGaussianSource(IRandomSource uniform)
    {
        _uniform = uniform ?? throw new ArgumentNullException(nameof(uniform));
    }

    public double NextStandardNormal()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }
        double u1 = 1.0 - _uniform.NextUnitInterval();
        double u2 = _uniform.NextUnitInterval();
        double radius = Math.Sqrt(-2.0 * Math.Log(u1));
        (double sin, double cos) = Math.SinCos(2.0 * Math.PI * u2);
        _spare = radius * sin;
        _hasSpare = true;
        return radius * cos;
    }
}
