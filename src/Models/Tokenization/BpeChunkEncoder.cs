using System.Collections.Concurrent;
using System.Text;

namespace FedLlm.Models.Tokenization;

/// <summary>A token of one chunk; <c>[Start, End)</c> are UTF-16 positions within the normalised chunk.</summary>
internal readonly record struct ChunkToken(int Id, int Start, int End);

/// <summary>
/// SentencePiece BPE over one normalised chunk: start from single characters (a surrogate pair is one character),
/// then repeatedly merge the adjacent pair whose concatenation is a Normal/UserDefined piece with the highest
/// score, leftmost on ties. Characters without a piece become byte-fallback pieces (or unk) and never merge.
/// A priority queue with lazy invalidation gives the same result as rescanning all pairs after each merge.
/// </summary>
internal sealed class BpeChunkEncoder
{
    private const int MaxCachedChunkLength = 256;
    private const int MaxCacheEntries = 100_000;

    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _mergeable;
    private readonly IReadOnlyList<SentencePiece> _pieces;
    private readonly int[] _byteIds;
    private readonly bool _byteFallback;
    private readonly int _unkId;
    private readonly ConcurrentDictionary<string, ChunkToken[]> _cache = new(StringComparer.Ordinal);

    public BpeChunkEncoder(SentencePieceModel model)
    {
        _pieces = model.Pieces;
        var mergeable = new Dictionary<string, int>(StringComparer.Ordinal);
        _byteIds = new int[256];
        Array.Fill(_byteIds, -1);
        for (int id = 0; id < model.Pieces.Count; id++)
        {
            var piece = model.Pieces[id];
            if (piece.Type is PieceType.Normal or PieceType.UserDefined) mergeable.TryAdd(piece.Piece, id);
            else if (piece.Type == PieceType.Byte && ByteFallbackPieces.TryParse(piece.Piece, out byte value) && _byteIds[value] < 0) _byteIds[value] = id;
        }
        _mergeable = mergeable.GetAlternateLookup<ReadOnlySpan<char>>();
        _byteFallback = model.ByteFallback;
        _unkId = model.UnkId;
    }

    public ChunkToken[] Encode(string chunk)
    {
        if (chunk.Length > MaxCachedChunkLength) return EncodeUncached(chunk);
        if (_cache.TryGetValue(chunk, out var cached)) return cached;
        if (_cache.Count >= MaxCacheEntries) _cache.Clear();
        var tokens = EncodeUncached(chunk);
        _cache.TryAdd(chunk, tokens);
        return tokens;
    }

    private ChunkToken[] EncodeUncached(string chunk)
    {
        var symbols = new List<Symbol>(chunk.Length);
        for (int i = 0; i < chunk.Length;)
        {
            int width = char.IsHighSurrogate(chunk[i]) && i + 1 < chunk.Length && char.IsLowSurrogate(chunk[i + 1]) ? 2 : 1;
            int id = _mergeable.TryGetValue(chunk.AsSpan(i, width), out int found) ? found : -1;
            symbols.Add(new Symbol(i, width, id, symbols.Count - 1, -1));
            if (symbols.Count > 1) symbols[^2] = symbols[^2] with { Next = symbols.Count - 1 };
            i += width;
        }
        var agenda = new PriorityQueue<Candidate, Candidate>(CandidateOrder.Instance);
        for (int i = 0; i + 1 < symbols.Count; i++) TryAddCandidate(chunk, symbols, i, i + 1, agenda);

        while (agenda.TryDequeue(out var best, out _))
        {
            var left = symbols[best.Left];
            var right = symbols[best.Right];
            // Stale entry: one side was merged away or grew since this pair was queued.
            if (left.Length == 0 || right.Length == 0 || left.Next != best.Right || left.Length + right.Length != best.Length) continue;
            symbols[best.Left] = left with { Length = best.Length, Id = best.Id, Next = right.Next };
            symbols[best.Right] = right with { Length = 0 };
            if (right.Next >= 0) symbols[right.Next] = symbols[right.Next] with { Prev = best.Left };
            if (left.Prev >= 0) TryAddCandidate(chunk, symbols, left.Prev, best.Left, agenda);
            if (right.Next >= 0) TryAddCandidate(chunk, symbols, best.Left, right.Next, agenda);
        }

        var tokens = new List<ChunkToken>(symbols.Count);
        for (int i = symbols.Count > 0 ? 0 : -1; i >= 0; i = symbols[i].Next)
        {
            var symbol = symbols[i];
            int end = symbol.Start + symbol.Length;
            if (symbol.Id >= 0) tokens.Add(new ChunkToken(symbol.Id, symbol.Start, end));
            else AddFallback(chunk, symbol.Start, symbol.Length, tokens);
        }
        return tokens.ToArray();
    }

    private void AddFallback(string chunk, int start, int length, List<ChunkToken> tokens)
    {
        int end = start + length;
        if (_byteFallback)
        {
            Span<byte> utf8 = stackalloc byte[8];
            int count = Encoding.UTF8.GetBytes(chunk.AsSpan(start, length), utf8);
            foreach (byte b in utf8[..count]) tokens.Add(new ChunkToken(_byteIds[b] >= 0 ? _byteIds[b] : RequireUnk(chunk, start), start, end));
        }
        else
        {
            tokens.Add(new ChunkToken(RequireUnk(chunk, start), start, end));
        }
    }

    private int RequireUnk(string chunk, int position) => _unkId >= 0
        ? _unkId
        : throw new ArgumentException($"Character U+{char.ConvertToUtf32(chunk, position):X4} has no piece and the model has neither byte fallback nor an unk piece.");

    private void TryAddCandidate(string chunk, List<Symbol> symbols, int left, int right, PriorityQueue<Candidate, Candidate> agenda)
    {
        var l = symbols[left];
        var r = symbols[right];
        if (l.Id < 0 || r.Id < 0) return; // byte-fallback / unknown symbols never merge
        int length = l.Length + r.Length;
        if (!_mergeable.TryGetValue(chunk.AsSpan(l.Start, length), out int id)) return;
        var candidate = new Candidate(left, right, length, id, _pieces[id].Score, l.Start);
        agenda.Enqueue(candidate, candidate);
    }

    private record struct Symbol(int Start, int Length, int Id, int Prev, int Next);

    private readonly record struct Candidate(int Left, int Right, int Length, int Id, float Score, int Position);

    /// <summary>Highest score first; on equal scores the leftmost pair.</summary>
    private sealed class CandidateOrder : IComparer<Candidate>
    {
        public static readonly CandidateOrder Instance = new();

        public int Compare(Candidate x, Candidate y)
        {
            if (x.Score > y.Score) return -1;
            if (x.Score < y.Score) return 1;
            return x.Position.CompareTo(y.Position);
        }
    }
}
