namespace FedLlm.Tokenization;

/// <summary>
/// The merge loop shared by SentencePiece BPE and byte-level BPE: repeatedly merge the adjacent pair with the lowest
/// cost (SentencePiece: minus the merged piece's score; byte-level BPE: the merge rank), leftmost on ties.
/// A priority queue with stale-entry checks makes it O(n log n) per sequence, so long unsplit texts stay fast.
/// </summary>
internal static class PairMerger
{
    /// <summary>Sentinel id of a symbol that never merges (e.g. a char missing from the vocabulary).</summary>
    public const int Unmergeable = -1;

    /// <summary>
    /// Decides whether symbols <paramref name="leftId"/> and <paramref name="rightId"/>, which together span initial
    /// symbols [<paramref name="first"/>, <paramref name="end"/>), merge, into what id, at what cost.
    /// </summary>
    public delegate bool MergeRule(int leftId, int rightId, int first, int end, out int mergedId, out double cost);

    /// <summary>A final symbol: its id and the range [First, End) of initial symbols it covers.</summary>
    public readonly record struct Symbol(int Id, int First, int End);

    private readonly record struct Candidate(int Left, int Right, int LeftId, int RightId, int MergedId);

    public static List<Symbol> Merge(ReadOnlySpan<int> initialIds, MergeRule rule)
    {
        int n = initialIds.Length;
        var ids = initialIds.ToArray();
        var next = new int[n];
        var prev = new int[n];
        var end = new int[n];
        for (int i = 0; i < n; i++)
        {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
            end[i] = i + 1;
        }

        var queue = new PriorityQueue<Candidate, (double Cost, int Left)>();
        void Consider(int left)
        {
            if (left < 0) return;
            int right = next[left];
            if (right < 0 || ids[left] == Unmergeable || ids[right] == Unmergeable) return;
            if (rule(ids[left], ids[right], left, end[right], out int merged, out double cost))
                queue.Enqueue(new Candidate(left, right, ids[left], ids[right], merged), (cost, left));
        }

        for (int i = 0; i + 1 < n; i++) Consider(i);

        while (queue.TryDequeue(out var c, out _))
        {
            // Stale if either side has merged since this candidate was queued.
            if (next[c.Left] != c.Right || ids[c.Left] != c.LeftId || ids[c.Right] != c.RightId) continue;
            ids[c.Left] = c.MergedId;
            end[c.Left] = end[c.Right];
            next[c.Left] = next[c.Right];
            if (next[c.Right] >= 0) prev[next[c.Right]] = c.Left;
            ids[c.Right] = Unmergeable;
            next[c.Right] = -2; // dead: never adjacent to anything again
            Consider(prev[c.Left]);
            Consider(c.Left);
        }

        var result = new List<Symbol>();
        for (int i = n > 0 ? 0 : -1; i >= 0; i = next[i]) result.Add(new Symbol(ids[i], i, end[i]));
        return result;
    }
}
