namespace FedLlm.Training.Examples;

/// <summary>An endless seeded shuffle of example indices: each epoch visits every example once, in a fresh order.</summary>
public sealed class ExampleOrder(int count, ulong seed)
{
    private readonly Random _random = new(unchecked((int)seed ^ (int)(seed >> 32)));
    private int[] _epoch = [];
    private int _position;

    public List<int> Take(int n)
    {
        var indices = new List<int>(n);
        for (int i = 0; i < n; i++)
        {
            if (_position == _epoch.Length)
            {
                _epoch = Enumerable.Range(0, count).ToArray();
                _random.Shuffle(_epoch);
                _position = 0;
            }
            indices.Add(_epoch[_position++]);
        }
        return indices;
    }
}
