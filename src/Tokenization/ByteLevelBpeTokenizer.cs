using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace FedLlm.Tokenization;

/// <summary>
/// Byte-level BPE (GPT-2, Qwen2, Llama-3, SmolLM tokenizer.json). Encoding: split out literal added tokens; normalise
/// (NFC when configured); pre-tokenize (regex splits); map each pre-token's UTF-8 bytes to GPT-2's byte alphabet;
/// merge adjacent pairs by merge rank (lowest first, leftmost on ties). Results are cached per pre-token.
/// Decode(Encode(x)) == x for every well-formed string (NFC-normalised, when the tokenizer normalises).
/// </summary>
public sealed class ByteLevelBpeTokenizer : ITokenizer, ITokenTextSource
{
    private const int MaxCacheEntries = 100_000;

    private readonly ByteLevelBpeDefinition _definition;
    private readonly string[] _idToToken;
    private readonly byte[][] _idToBytes;
    private readonly Dictionary<string, int> _tokenToId = new(StringComparer.Ordinal);
    private readonly Dictionary<(int Left, int Right), (int Rank, int Merged)> _merges = [];
    private readonly int[] _byteIds = new int[256];
    private readonly HashSet<int> _specialIds = [];
    private readonly HashSet<int> _addedIds = [];
    private readonly LiteralTokenMatcher _literals;
    private readonly List<PreTokenizerStep> _steps = [];
    private readonly bool _addPrefixSpace;
    private readonly ConcurrentDictionary<string, PreTokenEncoding> _cache = new(StringComparer.Ordinal);

    /// <summary>BPE result of one pre-token: ids and, per id, the end offset of its bytes within the pre-token's UTF-8.</summary>
    private sealed record PreTokenEncoding(int[] Ids, int[] ByteEnds);

    /// <summary>Ids may run past the entry count (holes), up to twice it plus <see cref="IdSlack"/>; real files are dense.</summary>
    private const long MaxIdsPerEntry = 2;

    private const long IdSlack = 1024;

    public ByteLevelBpeTokenizer(ByteLevelBpeDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        _definition = definition;
        string source = definition.Source;

        // The id tables below are sized by the largest id. Files may leave holes, but a short file must not make us
        // allocate gigabytes by naming id 2e9 (nor overflow the size with int.MaxValue).
        long idLimit = MaxIdsPerEntry * (long)(definition.Vocab.Count + definition.AddedTokens.Count) + IdSlack;
        int size = 0;
        foreach (var (token, id) in definition.Vocab)
        {
            if (id < 0) throw new InvalidDataException($"{source}: vocab entry '{token}' has negative id {id}.");
            if (id >= idLimit) throw new InvalidDataException($"{source}: vocab entry '{token}' has id {id}, far beyond the file's entries (ids must stay below {idLimit}).");
            size = Math.Max(size, id + 1);
        }
        foreach (var added in definition.AddedTokens)
        {
            if (added.Id < 0) throw new InvalidDataException($"{source}: added token '{added.Content}' has negative id {added.Id}.");
            if (added.Id >= idLimit) throw new InvalidDataException($"{source}: added token '{added.Content}' has id {added.Id}, far beyond the file's entries (ids must stay below {idLimit}).");
            size = Math.Max(size, added.Id + 1);
        }
        _idToToken = new string[size];
        _idToBytes = new byte[size][];
        foreach (var (token, id) in definition.Vocab)
        {
            _idToToken[id] = token;
            _idToBytes[id] = ByteLevelAlphabet.Decode(token);
            _tokenToId.TryAdd(token, id);
        }
        foreach (var added in definition.AddedTokens)
        {
            // Added tokens are literal text, not byte-level strings, even when the vocab also lists them.
            _idToToken[added.Id] = added.Content;
            _idToBytes[added.Id] = Encoding.UTF8.GetBytes(added.Content);
            _tokenToId[added.Content] = added.Id;
            _addedIds.Add(added.Id);
            if (added.Special) _specialIds.Add(added.Id);
        }
        for (int id = 0; id < size; id++)
        {
            _idToToken[id] ??= string.Empty;
            _idToBytes[id] ??= [];
        }

        for (int rank = 0; rank < definition.Merges.Count; rank++)
        {
            var (left, right) = definition.Merges[rank];
            if (!definition.Vocab.TryGetValue(left, out int leftId) || !definition.Vocab.TryGetValue(right, out int rightId)
                || !definition.Vocab.TryGetValue(left + right, out int mergedId))
                throw new InvalidDataException($"{source}: merge {rank} ('{left}' '{right}') uses a token missing from the vocab.");
            _merges.TryAdd((leftId, rightId), (rank, mergedId));
        }
        for (int b = 0; b < 256; b++)
            _byteIds[b] = definition.Vocab.TryGetValue(ByteLevelAlphabet.ByteToChar((byte)b).ToString(), out int id) ? id : -1;

        _literals = new LiteralTokenMatcher(definition.AddedTokens.Select(a => new LiteralTokenMatcher.Literal(a.Content, a.Id, a.Special)));
        foreach (var spec in definition.PreTokenizers)
        {
            switch (spec)
            {
                case PreTokenizerSpec.ByteLevel byteLevel:
                    _addPrefixSpace |= byteLevel.AddPrefixSpace;
                    if (byteLevel.UseRegex) _steps.Add(new RegexSplitStep(CompileRegex(PreTokenizerStep.Gpt2Pattern, source), removeMatches: false));
                    break;
                case PreTokenizerSpec.Split split:
                    string pattern = split.IsRegex ? split.Pattern : Regex.Escape(split.Pattern);
                    _steps.Add(new RegexSplitStep(CompileRegex(pattern, source), split.RemoveMatches));
                    break;
                case PreTokenizerSpec.Digits digits:
                    _steps.Add(new DigitsStep(digits.IndividualDigits));
                    break;
            }
        }

        BosId = IdOf(definition.BosToken, "bos");
        EosId = IdOf(definition.EosToken, "eos");
        PadId = IdOf(definition.PadToken, "pad");
        UnkId = IdOf(definition.UnkToken, "unk");
        AddBosByDefault = definition.AddBosByDefault && BosId is not null;
    }

    public int VocabSize => _idToToken.Length;
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
        bool first = true;
        foreach (var segment in _literals.Split(text, parseSpecialTokens))
        {
            if (segment.Literal is { } literal) tokens.Add(new EncodedToken(literal.Id, segment.Start, segment.End));
            else EncodeText(text, segment.Start, segment.End, addPrefixSpace: _addPrefixSpace && first, tokens);
            first = false;
        }
        return tokens;
    }

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false) => TokenTextAssembler.Decode(this, ids, skipSpecialTokens);

    public TokenStreamDecoder CreateStreamDecoder(bool skipSpecialTokens = false) => new(this, skipSpecialTokens);

    public string IdToToken(int id)
    {
        TokenTextAssembler.CheckId(this, id);
        return _idToToken[id];
    }

    public int? TokenToId(string token) => _tokenToId.TryGetValue(token, out int id) ? id : null;

    bool ITokenTextSource.IsSpecial(int id) => _specialIds.Contains(id);

    string ITokenTextSource.SpecialText(int id) => _idToToken[id];

    ReadOnlySpan<byte> ITokenTextSource.Bytes(int id) => _idToBytes[id];

    bool ITokenTextSource.StripLeadingSpaceAtSegmentStart => false;

    private void EncodeText(string text, int start, int end, bool addPrefixSpace, List<EncodedToken> tokens)
    {
        var normalized = Normalize(text, start, end, addPrefixSpace);
        string chars = normalized.Text;
        Span<byte> scratch = stackalloc byte[4];
        foreach (var (pieceStart, pieceEnd) in PreTokenizerStep.Apply(_steps, chars))
        {
            string piece = chars.Substring(pieceStart, pieceEnd - pieceStart);
            var encoding = EncodePreToken(piece);

            // Byte i of the piece's UTF-8 belongs to the code point starting at unit byteToUnit[i].
            var byteToUnit = new int[encoding.ByteEnds.Length == 0 ? 0 : encoding.ByteEnds[^1]];
            var unitEnd = new int[piece.Length];
            int byteIndex = 0;
            for (int u = 0; u < piece.Length;)
            {
                int width = char.IsSurrogatePair(piece, u) ? 2 : 1;
                int count = Encoding.UTF8.GetBytes(piece.AsSpan(u, width), scratch);
                for (int k = 0; k < count && byteIndex < byteToUnit.Length; k++) byteToUnit[byteIndex++] = u;
                unitEnd[u] = u + width;
                u += width;
            }

            int tokenByteStart = 0;
            for (int t = 0; t < encoding.Ids.Length; t++)
            {
                int tokenByteEnd = encoding.ByteEnds[t];
                int firstUnit = byteToUnit[tokenByteStart];
                int lastUnitEnd = unitEnd[byteToUnit[tokenByteEnd - 1]];
                var (originalStart, originalEnd) = normalized.OriginalRange(pieceStart + firstUnit, pieceStart + lastUnitEnd);
                tokens.Add(new EncodedToken(encoding.Ids[t], originalStart, originalEnd));
                tokenByteStart = tokenByteEnd;
            }
        }
    }

    private PreTokenEncoding EncodePreToken(string piece)
    {
        if (_cache.TryGetValue(piece, out var cached)) return cached;
        var encoding = ComputePreToken(piece);
        if (_cache.Count >= MaxCacheEntries) _cache.Clear();
        _cache.TryAdd(piece, encoding);
        return encoding;
    }

    private PreTokenEncoding ComputePreToken(string piece)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(piece);
        if (_definition.IgnoreMerges && _tokenToId.TryGetValue(ByteLevelAlphabet.Encode(bytes), out int whole) && !_addedIds.Contains(whole))
            return new PreTokenEncoding([whole], [bytes.Length]);

        var initial = new int[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) initial[i] = _byteIds[bytes[i]] >= 0 ? _byteIds[bytes[i]] : PairMerger.Unmergeable;

        var symbols = PairMerger.Merge(initial, (int left, int right, int _, int _, out int merged, out double cost) =>
        {
            if (_merges.TryGetValue((left, right), out var merge))
            {
                merged = merge.Merged;
                cost = merge.Rank;
                return true;
            }
            merged = 0;
            cost = 0;
            return false;
        });

        var ids = new List<int>(symbols.Count);
        var ends = new List<int>(symbols.Count);
        foreach (var symbol in symbols)
        {
            int id = symbol.Id;
            if (id == PairMerger.Unmergeable)
            {
                // A byte missing from the vocabulary: unk if there is one, else it is dropped (as Hugging Face does).
                if (UnkId is not { } unk) continue;
                id = unk;
            }
            ids.Add(id);
            ends.Add(symbol.End);
        }
        return new PreTokenEncoding([.. ids], [.. ends]);
    }

    private OffsetMappedText Normalize(string text, int start, int end, bool addPrefixSpace)
    {
        var result = new OffsetMappedText();
        if (addPrefixSpace && start < end && text[start] != ' ') result.Append(' ', start, start);
        // The copy is made only when normalisation is on: most tokenizers leave text as is.
        string? segment = _definition.NormalizeNfc ? text.Substring(start, end - start) : null;
        if (segment is null || segment.IsNormalized(NormalizationForm.FormC))
        {
            result.AppendOriginal(text, start, end);
            return result;
        }
        // Composition never crosses a grapheme cluster, so normalise cluster by cluster and map each result to its cluster.
        var clusters = StringInfo.GetTextElementEnumerator(segment);
        while (clusters.MoveNext())
        {
            string cluster = (string)clusters.Current;
            int clusterStart = start + clusters.ElementIndex;
            string composed = cluster.Normalize(NormalizationForm.FormC);
            if (composed.Length == cluster.Length) result.AppendOriginal(text, clusterStart, clusterStart + cluster.Length);
            else result.Append(composed, clusterStart, clusterStart + cluster.Length);
        }
        return result;
    }

    private int? IdOf(string? token, string role)
    {
        if (token is null) return null;
        return TokenToId(token) ?? throw new InvalidDataException($"{_definition.Source}: {role} token '{token}' is not in the vocabulary.");
    }

    private static Regex CompileRegex(string pattern, string source)
    {
        try
        {
            return new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw new NotSupportedException($"{source}: pre-tokenizer pattern is not a valid .NET regex ({e.Message}): {pattern}", e);
        }
    }
}
