using System.Text.RegularExpressions;

namespace FedLlm.Synthesis.Text;

/// <summary>
/// Splits raw text into chunks of at most <see cref="MaxTokens"/> tokens, counted by the caller's tokenizer (so the
/// bound is in the generator's own tokens). Boundaries are chosen in order of preference: between paragraphs (line
/// breaks), then between sentences of a paragraph too long on its own, then between words of a sentence too long on
/// its own; never inside a word. Consecutive pieces are packed greedily while the chunk's text still fits, and every
/// chunk is measured as the exact text it will be, so the bound holds for any tokenizer. Deterministic.
/// </summary>
public sealed partial class TextChunker
{
    private readonly Func<string, int> _countTokens;

    /// <param name="countTokens">Tokens of a text, e.g. the model tokenizer's encoded length.</param>
    /// <param name="maxTokens">The bound per chunk (FedIT-U2S leaves it open; choose it below the prompt's context budget).</param>
    public TextChunker(Func<string, int> countTokens, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(countTokens);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxTokens);
        _countTokens = countTokens;
        MaxTokens = maxTokens;
    }

    public int MaxTokens { get; }

    // Any line break ends a paragraph: the corpora at hand put one paragraph (c4) or one article (wiki) per line, and
    // packing joins short lines again, so hard-wrapped prose only gains extra candidate boundaries.
    [GeneratedRegex(@"\s*\n\s*", RegexOptions.CultureInvariant)]
    private static partial Regex ParagraphBreak();

    // A sentence ends at . ! ? (after optional closing quotes/brackets) followed by space and a capital, digit or opening quote;
    // requiring the capital keeps "e.g. the" and "approx. 5" mostly whole.
    [GeneratedRegex(@"(?<=[.!?…][""'”’)\]]*)\s+(?=[\p{Lu}\p{N}""'“‘(\[])", RegexOptions.CultureInvariant)]
    private static partial Regex SentenceBreak();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex WordBreak();

    public IReadOnlyList<TextChunk> Chunk(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var pieces = new List<Span>();
        foreach (Span paragraph in Split(text, new Span(0, text.Length), ParagraphBreak()))
        {
            AddPieces(text, paragraph, pieces, level: 0);
        }
        return Pack(text, pieces);
    }

    /// <summary>Adds <paramref name="span"/> whole if it fits, else its sentences (then words), recursively.</summary>
    private void AddPieces(string text, Span span, List<Span> pieces, int level)
    {
        if (level == 2 || Fits(text, span))
        {
            pieces.Add(span);
            return;
        }
        Regex boundary = level == 0 ? SentenceBreak() : WordBreak();
        List<Span> parts = Split(text, span, boundary);
        if (parts.Count == 1 && level == 0)
        {
            AddPieces(text, span, pieces, level: 1); // one long sentence: go to words
            return;
        }
        foreach (Span part in parts)
        {
            AddPieces(text, part, pieces, level + 1);
        }
    }

    /// <summary>
    /// Greedy packing: each chunk takes as many following pieces as fit. The end is found by galloping then bisecting,
    /// so a chunk of m pieces costs O(log m) token counts instead of m (word-level pieces of a long sentence).
    /// </summary>
    private List<TextChunk> Pack(string text, List<Span> pieces)
    {
        var chunks = new List<TextChunk>();
        int first = 0;
        while (first < pieces.Count)
        {
            int fits = first; // the piece alone is taken even if it does not fit (a single oversized word)
            int fails = pieces.Count;
            for (int step = 1; fits + step < fails; step *= 2)
            {
                if (Fits(text, Join(pieces, first, fits + step))) fits += step;
                else fails = fits + step;
            }
            while (fails - fits > 1)
            {
                int middle = fits + (fails - fits) / 2;
                if (Fits(text, Join(pieces, first, middle))) fits = middle;
                else fails = middle;
            }
            Span chunk = Join(pieces, first, fits);
            string chunkText = text.Substring(chunk.Start, chunk.Length);
            int tokens = _countTokens(chunkText);
            chunks.Add(new TextChunk(chunks.Count, chunkText, chunk.Start, chunk.Length, tokens, Oversized: tokens > MaxTokens));
            first = fits + 1;
        }
        return chunks;
    }

    private static Span Join(List<Span> pieces, int first, int last) => new(pieces[first].Start, pieces[last].End - pieces[first].Start);

    private bool Fits(string text, Span span) => _countTokens(text.Substring(span.Start, span.Length)) <= MaxTokens;

    /// <summary>The non-blank parts of <paramref name="span"/> between matches of <paramref name="boundary"/>, trimmed.</summary>
    private static List<Span> Split(string text, Span span, Regex boundary)
    {
        var parts = new List<Span>();
        int start = span.Start;
        foreach (ValueMatch match in boundary.EnumerateMatches(text.AsSpan(span.Start, span.Length)))
        {
            AddTrimmed(text, start, span.Start + match.Index, parts);
            start = span.Start + match.Index + match.Length;
        }
        AddTrimmed(text, start, span.End, parts);
        return parts;
    }

    private static void AddTrimmed(string text, int start, int end, List<Span> parts)
    {
        while (start < end && char.IsWhiteSpace(text[start])) start++;
        while (end > start && char.IsWhiteSpace(text[end - 1])) end--;
        if (end > start) parts.Add(new Span(start, end - start));
    }

    private readonly record struct Span(int Start, int Length)
    {
        public int End => Start + Length;
    }
}
