using FedLlm.Foundation.Randomness;

namespace FedLlm.Training.Examples;

/// <summary>
/// An endless seeded shuffle of example indices: each epoch visits every example once, in a fresh order. The stream is
/// the project's one RNG family, seeded with all 64 bits of the trainer seed (a client's seed already derives from
/// run, round and client), so no two seeds share an order by folding.
/// </summary>
public sealed class ExampleOrder(int count, ulong seed)
{
    public const string RandomPurpose = "example-order";

    private readonly Xoshiro256StarStar _random = Xoshiro256StarStar.ForPurpose(seed, RandomPurpose);
    private int[] _epoch = [];
    private int _position;

    public List<int> Take(int n)
    {
        var indices = new List<int>(n);
        for (int i = 0; i < n; i++)
        {
            if (_position == _epoch.Length)
            {
                _epoch = [.. Enumerable.Range(0, count)];
                _random.Shuffle(_epoch.AsSpan());
                _position = 0;
            }
            indices.Add(_epoch[_position++]);
        }
        return indices;
    }
}
