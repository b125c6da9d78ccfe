using System.Collections.Frozen;
using System.Text;

namespace FedLlm.Models.Tokenization;

/// <summary>
/// SentencePiece BPE tokenizer (the Llama-2 family's). Normalisation is SentencePiece's for Llama: spaces become
/// '▁' and one '▁' dummy prefix is added at the start of the text; whitespace is not collapsed.
/// </summary>
public sealed class SentencePieceTokenizer : ITokenizer
{
    public const char SpaceSymbol = '\u2581';

    private readonly SentencePieceModel _model;
    private readonly BpeChunkEncoder _bpe;
    private readonly Dictionary<string, int> _idByPiece = new(StringComparer.Ordinal);
    private readonly Dictionary<char, (string Text, int Id)[]> _specialsByFirstChar;
    private readonly DecodedPiece[] _decodedWithSpecials;
    private readonly DecodedPiece[] _decodedWithoutSpecials;

    public SentencePieceTokenizer(SentencePieceModel model, bool addBosByDefault = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.ModelType != SentencePieceModelType.Bpe)
            throw new NotSupportedException($"SentencePiece model type {model.ModelType} is not supported; only BPE.");
        model.Validate("SentencePiece model");
        _model = model;
        AddBosByDefault = addBosByDefault;
        _bpe = new BpeChunkEncoder(model);

        var special = new HashSet<int>();
        var splitOn = new List<(string Text, int Id)>();
        _decodedWithSpecials = new DecodedPiece[model.Pieces.Count];
        _decodedWithoutSpecials = new DecodedPiece[model.Pieces.Count];
        for (int id = 0; id < model.Pieces.Count; id++)
        {
            var piece = model.Pieces[id];
            _idByPiece.TryAdd(piece.Piece, id);
            bool isSpecial = piece.Type is PieceType.Control or PieceType.Unknown;
            if (isSpecial) special.Add(id);
            if (piece.Type is PieceType.Control or PieceType.UserDefined && piece.Piece.Length > 0) splitOn.Add((piece.Piece, id));
            _decodedWithSpecials[id] = piece.Type == PieceType.Byte && ByteFallbackPieces.TryParse(piece.Piece, out byte value)
                ? DecodedPiece.FromBytes(new[] { value })
                : DecodedPiece.FromText(piece.Piece);
            _decodedWithoutSpecials[id] = isSpecial ? DecodedPiece.Nothing : _decodedWithSpecials[id];
        }
        SpecialTokenIds = special.ToFrozenSet();
        // Longest match first, so e.g. "<|im_start|>" wins over a shorter piece with the same start.
        _specialsByFirstChar = splitOn
            .GroupBy(s => s.Text[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(s => s.Text.Length).ThenBy(s => s.Id).ToArray());
    }

    /// <summary>Loads a SentencePiece <c>tokenizer.model</c> file.</summary>
    public static SentencePieceTokenizer FromFile(string tokenizerModelPath, bool addBosByDefault = true) =>
        new(SentencePieceModelFile.Read(tokenizerModelPath), addBosByDefault);

    public SentencePieceModel Model => _model;

    public int VocabSize => _model.Pieces.Count;

    public int? BosId => NullIfNone(_model.BosId);

    public int? EosId => NullIfNone(_model.EosId);

    public int? PadId => NullIfNone(_model.PadId);

    public int? UnkId => NullIfNone(_model.UnkId);

    public bool AddBosByDefault { get; }

    /// <summary>Control and Unknown pieces (the ones <c>skipSpecialTokens</c> drops).</summary>
    public IReadOnlySet<int> SpecialTokenIds { get; }

    public IReadOnlyList<EncodedToken> Encode(string text, bool parseSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<EncodedToken>(text.Length / 3 + 4);
        int segmentStart = 0;
        if (parseSpecialTokens && _specialsByFirstChar.Count > 0)
        {
            for (int i = 0; i < text.Length;)
            {
                var match = MatchSpecial(text, i);
                if (match is not { } found)
                {
                    i++;
                    continue;
                }
                EncodeSegment(text, segmentStart, i, tokens);
                tokens.Add(new EncodedToken(found.Id, i, i + found.Text.Length));
                i += found.Text.Length;
                segmentStart = i;
            }
        }
        EncodeSegment(text, segmentStart, text.Length, tokens);
        return tokens;
    }

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        // One code path for batch and streaming decoding guarantees they agree.
        var decoder = CreateDecoder(skipSpecialTokens);
        var text = new StringBuilder();
        foreach (int id in ids) text.Append(decoder.Append(id));
        return text.Append(decoder.Flush()).ToString();
    }

    public TokenStreamDecoder CreateStreamDecoder() => CreateDecoder(skipSpecialTokens: false);

    public string IdToToken(int id) => PieceAt(id).Piece;

    public int? TokenToId(string token) => _idByPiece.TryGetValue(token, out int id) ? id : null;

    private TokenStreamDecoder CreateDecoder(bool skipSpecialTokens)
    {
        var table = skipSpecialTokens ? _decodedWithoutSpecials : _decodedWithSpecials;
        return new TokenStreamDecoder(
            id => (uint)id < (uint)table.Length ? table[id] : throw OutOfVocabulary(id),
            text => text.Replace(SpaceSymbol, ' '),
            dropLeadingSpace: _model.AddDummyPrefix);
    }

    private (string Text, int Id)? MatchSpecial(string text, int position)
    {
        if (!_specialsByFirstChar.TryGetValue(text[position], out var candidates)) return null;
        var rest = text.AsSpan(position);
        foreach (var candidate in candidates)
        {
            if (rest.StartsWith(candidate.Text, StringComparison.Ordinal)) return candidate;
        }
        return null;
    }

    /// <summary>Encodes text[start, end) and appends its tokens with offsets into <paramref name="text"/>.</summary>
    private void EncodeSegment(string text, int start, int end, List<EncodedToken> tokens)
    {
        if (start >= end) return;
        bool dummyPrefix = start == 0 && _model.AddDummyPrefix;
        int shift = dummyPrefix ? 1 : 0;
        string normalized = string.Create(end - start + shift, (text, start, shift), static (span, state) =>
        {
            span[0] = SpaceSymbol; // overwritten below when there is no dummy prefix
            var source = state.text.AsSpan(state.start, span.Length - state.shift);
            source.Replace(span[state.shift..], ' ', SpaceSymbol);
        });

        // SentencePiece trains with split_by_whitespace=true by default, so no piece contains '▁' after another
        // character: a merge never crosses the start of a "▁…" word. Each chunk (a maximal run of '▁' followed by
        // non-'▁' characters) can therefore be merged on its own, and its result cached per chunk string.
        int chunkStart = 0;
        for (int i = 1; i <= normalized.Length; i++)
        {
            bool boundary = i == normalized.Length || (normalized[i] == SpaceSymbol && normalized[i - 1] != SpaceSymbol);
            if (!boundary) continue;
            foreach (var token in _bpe.Encode(normalized[chunkStart..i]))
            {
                int first = chunkStart + token.Start, last = chunkStart + token.End - 1;
                tokens.Add(new EncodedToken(token.Id, OriginalStart(first), OriginalStart(last) + (dummyPrefix && last == 0 ? 0 : 1)));
            }
            chunkStart = i;
        }

        // The dummy prefix is zero-width at the segment start; every other position maps one-to-one.
        int OriginalStart(int position) => start + Math.Max(0, position - shift);
    }

    private SentencePiece PieceAt(int id) => (uint)id < (uint)_model.Pieces.Count ? _model.Pieces[id] : throw OutOfVocabulary(id);

    private ArgumentOutOfRangeException OutOfVocabulary(int id) =>
        new(nameof(id), id, $"Token id {id} is outside the vocabulary of {_model.Pieces.Count} pieces.");

    private static int? NullIfNone(int id) => id < 0 ? null : id;
}
