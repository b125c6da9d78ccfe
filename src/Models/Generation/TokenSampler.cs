using TorchSharp;
using static TorchSharp.torch;

namespace FedLlm.Models.Generation;

/// <summary>Picks the next token from a logits row: argmax at temperature 0, otherwise nucleus (top-p) sampling.</summary>
public sealed class TokenSampler : IDisposable
{
    private readonly double _temperature;
    private readonly double _topP;
    private readonly Generator _generator;
    // Held for the sampler's lifetime: an implicit per-call Scalar can be finalised mid-call (see RootedScalars).
    private readonly Scalar _inverseTemperature;
    private readonly Scalar _topPScalar;

    public TokenSampler(double temperature, double topP, ulong seed)
    {
        if (!(temperature >= 0)) throw new ArgumentOutOfRangeException(nameof(temperature), "temperature must be >= 0");
        if (!(topP > 0 && topP <= 1)) throw new ArgumentOutOfRangeException(nameof(topP), "top-p must be in (0, 1]");
        _temperature = temperature;
        _topP = topP;
        _generator = new Generator(seed);
        _inverseTemperature = (temperature == 0 ? 1 : 1 / temperature).ToScalar();
        _topPScalar = topP.ToScalar();
    }

    /// <param name="logits">fp32 logits of one position, shape [vocab].</param>
    public int Next(Tensor logits)
    {
        using var scope = NewDisposeScope();
        if (_temperature == 0) return (int)logits.argmax().item<long>();

        var probabilities = logits.mul(_inverseTemperature).softmax(0);
        if (_topP < 1)
        {
            var (sorted, order) = probabilities.sort(descending: true);
            // Keep the smallest prefix whose mass reaches top-p (the token crossing the threshold included).
            var massBefore = sorted.cumsum(0).Minus(sorted);
            var keep = massBefore.lt(_topPScalar);
            var filtered = sorted.where(keep, zeros_like(sorted));
            int pick = (int)filtered.multinomial(1, generator: _generator).item<long>();
            return (int)order[pick].item<long>();
        }
        return (int)probabilities.multinomial(1, generator: _generator).item<long>();
    }

    public void Dispose()
    {
        _generator.Dispose();
        _inverseTemperature.Dispose();
        _topPScalar.Dispose();
    }
}
