using System.Collections.Concurrent;
using System.Text;

namespace FedLlm.Tokenization;

/// <summary>
/// SentencePiece BPE (Llama-2, Mistral, TinyLlama <c>tokenizer.model</c>; llama2.c tokenizers).
/// Encoding: split out literal special/user-defined pieces; normalise each text segment (optionally drop extra spaces,
/// spaces → U+2581, dummy prefix U+2581 on the first segment and after each special token); start from single code points;
/// repeatedly merge the adjacent pair whose concatenation is a piece with the highest score (leftmost on ties);
/// code points left without a piece become byte pieces &lt;0xXX&gt; (byte_fallback) or unk.
/// Decoding reverses this and drops the one leading space the dummy prefix produced.
/// Round trip: Decode(Encode(x)) == x when remove_extra_whitespaces is off (as in Llama models); with it on, leading,
/// trailing and repeated spaces (U+0020) are lost. Pieces of type UNUSED never take part in merges.
/// </summary>
public sealed class SentencePieceTokenizer : ITokenizer, ITokenTextSource
{
    private const char SpaceMarker = '\u2581';

    private readonly SentencePieceModel _model;
    private readonly Dictionary<string, int> _pieceToId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _mergeable;
    private readonly int[] _byteIds = new int[256];
    private readonly byte[][] _pieceBytes;
    private readonly HashSet<int> _specialIds = [];
    private readonly LiteralTokenMatcher _literals;
    private readonly char _normalizedSpace;
    private readonly bool _wordsAreIndependent;
    private readonly ConcurrentDictionary<string, WordEncoding> _cache = new(StringComparer.Ordinal);

    private const int MaxCacheEntries = 100_000;

    /// <summary>Merged symbols of one word: ids (Unmergeable for chars without a piece) and each symbol's end unit.</summary>
    private sealed record WordEncoding(int[] Ids, int[] UnitEnds);

    public SentencePieceTokenizer(SentencePieceModel model, bool? addBosByDefault = null, string source = "SentencePiece model")
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.TrainerSpec.ModelType != SentencePieceModelType.Bpe)
            throw new NotSupportedException($"{source}: model_type {model.TrainerSpec.ModelType} is not supported; only BPE sentencepiece models (Llama, Mistral, TinyLlama) are.");
        _model = model;

        var mergeable = new Dictionary<string, int>(StringComparer.Ordinal);
        Array.Fill(_byteIds, -1);
        _pieceBytes = new byte[model.Pieces.Count][];
        var literals = new List<LiteralTokenMatcher.Literal>();
        for (int id = 0; id < model.Pieces.Count; id++)
        {
            var entry = model.Pieces[id];
            _pieceToId.TryAdd(entry.Piece, id);
            _pieceBytes[id] = Encoding.UTF8.GetBytes(model.NormalizerSpec.EscapeWhitespaces ? entry.Piece.Replace(SpaceMarker, ' ') : entry.Piece);
            switch (entry.Type)
            {
                case SentencePieceType.Normal:
                    mergeable.TryAdd(entry.Piece, id);
                    break;
                case SentencePieceType.UserDefined:
                    mergeable.TryAdd(entry.Piece, id);
                    literals.Add(new(entry.Piece, id, IsSpecial: false));
                    break;
                case SentencePieceType.Control or SentencePieceType.Unknown:
                    _specialIds.Add(id);
                    literals.Add(new(entry.Piece, id, IsSpecial: true));
                    break;
                case SentencePieceType.Byte:
                    if (TryParseBytePiece(entry.Piece, out byte value)) { _byteIds[value] = id; _pieceBytes[id] = [value]; }
                    else throw new InvalidDataException($"{source}: piece {id} '{entry.Piece}' has type BYTE but is not of the form <0xXX>.");
                    break;
            }
        }
        _mergeable = mergeable.GetAlternateLookup<ReadOnlySpan<char>>();
        _normalizedSpace = model.NormalizerSpec.EscapeWhitespaces ? SpaceMarker : ' ';
        // If no piece has a space right after a non-space, no merge can cross the start of a word (a space run followed
        // by non-spaces), so words encode independently and can be cached. SentencePiece-trained vocabularies qualify.
        _wordsAreIndependent = !mergeable.Keys.Any(piece => HasSpaceAfterNonSpace(piece, _normalizedSpace));
        _literals = new LiteralTokenMatcher(literals);

        var trainer = model.TrainerSpec;
        BosId = ValidId(trainer.BosId);
        EosId = ValidId(trainer.EosId);
        PadId = ValidId(trainer.PadId);
        UnkId = ValidId(trainer.UnkId);
        AddBosByDefault = addBosByDefault ?? BosId is not null;
    }

    public SentencePieceModel Model => _model;

    public int VocabSize => _model.Pieces.Count;
    public int? BosId { get; }
    public int? EosId { get; }
    public int? PadId { get; }
    public int? UnkId { get; }
    public bool AddBosByDefault { get; }
    public IReadOnlySet<int> SpecialTokenIds => _specialIds;

    public IReadOnlyList<EncodedToken> Encode(string text, bool parseSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<EncodedToken>();
        bool atSegmentStart = true;
        foreach (var segment in _literals.Split(text, parseSpecialTokens))
        {
            if (segment.Literal is { } literal)
            {
                tokens.Add(new EncodedToken(literal.Id, segment.Start, segment.End));
                atSegmentStart = literal.IsSpecial;
                continue;
            }
            EncodeText(text, segment.Start, segment.End, atSegmentStart, tokens);
            atSegmentStart = false;
        }
        return tokens;
    }

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false) => TokenTextAssembler.Decode(this, ids, skipSpecialTokens);

    public TokenStreamDecoder CreateStreamDecoder(bool skipSpecialTokens = false) => new(this, skipSpecialTokens);

    public string IdToToken(int id)
    {
        TokenTextAssembler.CheckId(this, id);
        return _model.Pieces[id].Piece;
    }

    public int? TokenToId(string token) => _pieceToId.TryGetValue(token, out int id) ? id : null;

    bool ITokenTextSource.IsSpecial(int id) => _specialIds.Contains(id);

    string ITokenTextSource.SpecialText(int id) => _model.Pieces[id].Piece;

    ReadOnlySpan<byte> ITokenTextSource.Bytes(int id) => _pieceBytes[id];

    bool ITokenTextSource.StripLeadingSpaceAtSegmentStart => _model.NormalizerSpec.AddDummyPrefix;

    private void EncodeText(string text, int start, int end, bool addDummyPrefix, List<EncodedToken> tokens)
    {
        var normalized = Normalize(text, start, end, addDummyPrefix);
        if (normalized.Length == 0) return;
        string chars = normalized.Text;
        int wordStart = 0;
        for (int i = 1; i <= chars.Length; i++)
        {
            bool wordEnds = i == chars.Length || (_wordsAreIndependent && chars[i] == _normalizedSpace && chars[i - 1] != _normalizedSpace);
            if (!wordEnds) continue;
            EncodeWord(normalized, wordStart, i, tokens);
            wordStart = i;
        }
    }

    private void EncodeWord(OffsetMappedText normalized, int start, int end, List<EncodedToken> tokens)
    {
        string chars = normalized.Text;
        WordEncoding encoding;
        if (_wordsAreIndependent)
        {
            string word = chars.Substring(start, end - start);
            if (!_cache.TryGetValue(word, out encoding!))
            {
                encoding = MergeWord(word);
                if (_cache.Count >= MaxCacheEntries) _cache.Clear();
                _cache.TryAdd(word, encoding);
            }
        }
        else
        {
            encoding = MergeWord(chars.Substring(start, end - start));
        }

        int unitStart = start;
        for (int s = 0; s < encoding.Ids.Length; s++)
        {
            int unitEnd = start + encoding.UnitEnds[s];
            var (originalStart, originalEnd) = normalized.OriginalRange(unitStart, unitEnd);
            if (encoding.Ids[s] != PairMerger.Unmergeable) tokens.Add(new EncodedToken(encoding.Ids[s], originalStart, originalEnd));
            else AddFallback(chars.AsSpan(unitStart, unitEnd - unitStart), originalStart, originalEnd, tokens);
            unitStart = unitEnd;
        }
    }

    private WordEncoding MergeWord(string chars)
    {
        // Initial symbols are code points; symbolStart maps a symbol index to its first UTF-16 unit.
        var symbolStart = new List<int>(chars.Length + 1);
        var initialIds = new List<int>(chars.Length);
        for (int i = 0; i < chars.Length; i += char.IsSurrogatePair(chars, i) ? 2 : 1)
        {
            int width = char.IsSurrogatePair(chars, i) ? 2 : 1;
            symbolStart.Add(i);
            initialIds.Add(_mergeable.TryGetValue(chars.AsSpan(i, width), out int id) ? id : PairMerger.Unmergeable);
        }
        symbolStart.Add(chars.Length);

        bool Rule(int leftId, int rightId, int first, int last, out int mergedId, out double cost)
        {
            var merged = chars.AsSpan(symbolStart[first], symbolStart[last] - symbolStart[first]);
            if (_mergeable.TryGetValue(merged, out mergedId))
            {
                cost = -_model.Pieces[mergedId].Score;
                return true;
            }
            cost = 0;
            return false;
        }

        var symbols = PairMerger.Merge(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(initialIds), Rule);
        return new WordEncoding(symbols.Select(x => x.Id).ToArray(), symbols.Select(x => symbolStart[x.End]).ToArray());
    }

    /// <summary>A code point without a piece: its UTF-8 bytes as byte pieces, else one unk.</summary>
    private void AddFallback(ReadOnlySpan<char> codePoint, int start, int end, List<EncodedToken> tokens)
    {
        Span<byte> utf8 = stackalloc byte[8];
        int count = Encoding.UTF8.GetBytes(codePoint, utf8);
        bool allBytes = _model.TrainerSpec.ByteFallback;
        for (int i = 0; i < count && allBytes; i++) allBytes = _byteIds[utf8[i]] >= 0;
        if (allBytes)
        {
            for (int i = 0; i < count; i++) tokens.Add(new EncodedToken(_byteIds[utf8[i]], start, end));
            return;
        }
        int unk = UnkId ?? throw new InvalidOperationException(
            $"Text contains '{codePoint.ToString()}', which has no piece, no byte fallback and the model defines no unk piece.");
        tokens.Add(new EncodedToken(unk, start, end));
    }

    private OffsetMappedText Normalize(string text, int start, int end, bool addDummyPrefix)
    {
        var spec = _model.NormalizerSpec;
        var result = new OffsetMappedText();
        int i = start, stop = end;
        if (spec.RemoveExtraWhitespaces)
        {
            while (i < stop && text[i] == ' ') i++;
            while (stop > i && text[stop - 1] == ' ') stop--;
        }
        if (i == stop) return result;
        if (addDummyPrefix && spec.AddDummyPrefix) result.Append(spec.EscapeWhitespaces ? SpaceMarker : ' ', i, i);
        for (; i < stop; i++)
        {
            char c = text[i];
            if (c == ' ')
            {
                if (spec.RemoveExtraWhitespaces && i > start && text[i - 1] == ' ') continue;
                result.Append(spec.EscapeWhitespaces ? SpaceMarker : ' ', i, i + 1);
            }
            else
            {
                result.Append(c, i, i + 1);
            }
        }
        return result;
    }

    private static bool HasSpaceAfterNonSpace(string piece, char space)
    {
        for (int i = 1; i < piece.Length; i++) if (piece[i] == space && piece[i - 1] != space) return true;
        return false;
    }

    private int? ValidId(int id) => id >= 0 && id < _model.Pieces.Count ? id : null;

    internal static bool TryParseBytePiece(string piece, out byte value)
    {
        value = 0;
        return piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
            && byte.TryParse(piece.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out value);
    }
}
