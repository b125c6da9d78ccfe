namespace FedLlm.Tokenization;

/// <summary>
/// Pair counts for BPE training, updated incrementally per changed word. The best pair comes from a lazy max-heap:
/// entries whose count is out of date are skipped when popped, so updates stay cheap.
/// </summary>
internal sealed class PairStatistics
{
    private readonly IReadOnlyList<string> _tokens;
    private readonly Dictionary<(int Left, int Right), long> _counts = [];
    private readonly Dictionary<(int Left, int Right), HashSet<int>> _words = [];
    private readonly HashSet<(int Left, int Right)> _changed = [];
    private readonly PriorityQueue<(int Left, int Right), (long Count, int Left, int Right)> _heap;
    private bool _initialised;

    public PairStatistics(IReadOnlyList<string> tokens)
    {
        _tokens = tokens;
        _heap = new(Comparer<(long Count, int Left, int Right)>.Create(Compare));
    }

    public void AddWord(int wordIndex, List<int> word, long frequency)
    {
        for (int i = 0; i + 1 < word.Count; i++)
        {
            var pair = (word[i], word[i + 1]);
            _counts[pair] = _counts.GetValueOrDefault(pair) + frequency;
            if (!_words.TryGetValue(pair, out var set)) _words[pair] = set = [];
            set.Add(wordIndex);
            _changed.Add(pair);
        }
    }

    public void RemoveWord(List<int> word, long frequency)
    {
        for (int i = 0; i + 1 < word.Count; i++)
        {
            var pair = (word[i], word[i + 1]);
            _counts[pair] -= frequency;
            _changed.Add(pair);
        }
    }

    /// <summary>Word indices that may contain the pair (possibly stale: callers re-check).</summary>
    public int[] WordsWith((int Left, int Right) pair) => _words.TryGetValue(pair, out var set) ? [.. set.Order()] : [];

    public void Forget((int Left, int Right) pair)
    {
        _counts.Remove(pair);
        _words.Remove(pair);
        _changed.Remove(pair);
    }

    /// <summary>Pushes the new counts of pairs touched since the last call.</summary>
    public void PublishChanges()
    {
        foreach (var pair in _changed)
        {
            if (_counts.TryGetValue(pair, out long count) && count > 0) _heap.Enqueue(pair, (count, pair.Left, pair.Right));
            else { _counts.Remove(pair); _words.Remove(pair); }
        }
        _changed.Clear();
    }

    public bool TryTakeBest(int minFrequency, out (int Left, int Right) pair)
    {
        if (!_initialised)
        {
            PublishChanges();
            _initialised = true;
        }
        while (_heap.TryDequeue(out pair, out var key))
        {
            if (!_counts.TryGetValue(pair, out long current) || current != key.Count) continue; // stale entry
            return current >= minFrequency;
        }
        return false;
    }

    /// <summary>Higher count first; ties by the left then right token string (ordinal) for determinism.</summary>
    private int Compare((long Count, int Left, int Right) a, (long Count, int Left, int Right) b)
    {
        int byCount = b.Count.CompareTo(a.Count);
        if (byCount != 0) return byCount;
        int byLeft = string.CompareOrdinal(_tokens[a.Left], _tokens[b.Left]);
        return byLeft != 0 ? byLeft : string.CompareOrdinal(_tokens[a.Right], _tokens[b.Right]);
    }
}
