using System.Text;
using System.Text.RegularExpressions;

namespace FedLlm.Tokenization;

/// <summary>
/// Trains a small byte-level BPE tokenizer (GPT-2 pre-tokenization, all 256 bytes in the base alphabet, so any text
/// encodes). Classic BPE: count word frequencies, then repeatedly merge the most frequent adjacent pair. Deterministic:
/// ties break by the pair's token strings (ordinal). Ids: special tokens first, then the 256 bytes in byte order, then merges.
/// </summary>
public static class ByteLevelBpeTrainer
{
    public static string Train(IEnumerable<string> corpus, int vocabSize, IReadOnlyList<string> specialTokens) =>
        Train(corpus, vocabSize, specialTokens, new ByteLevelBpeTrainerOptions());

    public static string Train(IEnumerable<string> corpus, int vocabSize, IReadOnlyList<string> specialTokens, ByteLevelBpeTrainerOptions options) =>
        TokenizerJsonWriter.Write(TrainDefinition(corpus, vocabSize, specialTokens, options));

    public static ByteLevelBpeDefinition TrainDefinition(IEnumerable<string> corpus, int vocabSize, IReadOnlyList<string> specialTokens, ByteLevelBpeTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(specialTokens);
        ArgumentNullException.ThrowIfNull(options);
        var specials = specialTokens.Distinct(StringComparer.Ordinal).ToList();
        if (specials.Any(string.IsNullOrEmpty)) throw new ArgumentException("Special tokens must be non-empty strings.", nameof(specialTokens));
        if (vocabSize < specials.Count + 256)
            throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, $"Vocabulary size must be at least {specials.Count + 256} (special tokens + 256 bytes).");
        if (options.BosToken is { } bos && !specials.Contains(bos))
            throw new ArgumentException($"BOS token '{bos}' is not among the special tokens.", nameof(options));

        var tokens = new List<string>(vocabSize);
        var tokenIds = new Dictionary<string, int>(StringComparer.Ordinal);
        int AddToken(string token)
        {
            if (tokenIds.TryGetValue(token, out int existing)) return existing;
            tokenIds[token] = tokens.Count;
            tokens.Add(token);
            return tokens.Count - 1;
        }
        foreach (string special in specials) AddToken(special);
        var byteIds = new int[256];
        for (int b = 0; b < 256; b++) byteIds[b] = AddToken(ByteLevelAlphabet.ByteToChar((byte)b).ToString());

        var words = CountWords(corpus, specials);
        var symbols = words.Select(w => Encoding.UTF8.GetBytes(w.Word).Select(b => byteIds[b]).ToList()).ToArray();
        var state = new PairStatistics(tokens);
        for (int w = 0; w < symbols.Length; w++) state.AddWord(w, symbols[w], words[w].Count);

        var merges = new List<(string, string)>();
        while (tokens.Count < vocabSize && state.TryTakeBest(options.MinFrequency, out var pair))
        {
            int mergedId = AddToken(tokens[pair.Left] + tokens[pair.Right]);
            merges.Add((tokens[pair.Left], tokens[pair.Right]));
            foreach (int w in state.WordsWith(pair))
            {
                var word = symbols[w];
                if (!Contains(word, pair)) continue;
                state.RemoveWord(word, words[w].Count);
                symbols[w] = word = Replace(word, pair, mergedId);
                state.AddWord(w, word, words[w].Count);
            }
            state.Forget(pair);
            state.PublishChanges();
        }

        return new ByteLevelBpeDefinition
        {
            Vocab = tokenIds,
            Merges = merges,
            AddedTokens = specials.Select((s, i) => new AddedToken(i, s, Special: true)).ToList(),
            PreTokenizers = [new PreTokenizerSpec.ByteLevel(AddPrefixSpace: false, UseRegex: true)],
            BosToken = options.BosToken,
            AddBosByDefault = options.BosToken is not null && options.AddBos,
            Source = "ByteLevelBpeTrainer",
        };
    }

    /// <summary>Pre-tokenizes the corpus exactly as the trained tokenizer will (special tokens split out first).</summary>
    private static List<(string Word, long Count)> CountWords(IEnumerable<string> corpus, List<string> specials)
    {
        var matcher = new LiteralTokenMatcher(specials.Select((s, i) => new LiteralTokenMatcher.Literal(s, i, IsSpecial: true)));
        var split = new RegexSplitStep(new Regex(PreTokenizerStep.Gpt2Pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant), removeMatches: false);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var pieces = new List<(int Start, int End)>();
        foreach (string text in corpus)
        {
            if (string.IsNullOrEmpty(text)) continue;
            foreach (var segment in matcher.Split(text, includeSpecial: true))
            {
                if (segment.Literal is not null) continue;
                pieces.Clear();
                split.Split(text, segment.Start, segment.End, pieces);
                foreach (var (start, end) in pieces)
                {
                    string word = text.Substring(start, end - start);
                    counts[word] = counts.GetValueOrDefault(word) + 1;
                }
            }
        }
        return counts.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value)).ToList();
    }

    private static bool Contains(List<int> word, (int Left, int Right) pair)
    {
        for (int i = 0; i + 1 < word.Count; i++) if (word[i] == pair.Left && word[i + 1] == pair.Right) return true;
        return false;
    }

    private static List<int> Replace(List<int> word, (int Left, int Right) pair, int mergedId)
    {
        var result = new List<int>(word.Count);
        for (int i = 0; i < word.Count; i++)
        {
            if (i + 1 < word.Count && word[i] == pair.Left && word[i + 1] == pair.Right)
            {
                result.Add(mergedId);
                i++;
            }
            else
            {
                result.Add(word[i]);
            }
        }
        return result;
    }
}
