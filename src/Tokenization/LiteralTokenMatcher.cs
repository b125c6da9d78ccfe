namespace FedLlm.Tokenization;

/// <summary>
/// Finds added/special tokens written literally in a text (leftmost, longest first) and splits the text around them,
/// so they become single ids before any model-specific encoding runs on the pieces in between.
/// </summary>
internal sealed class LiteralTokenMatcher
{
    /// <summary>A literal token; <see cref="IsSpecial"/> ones are matched only when special tokens are parsed.</summary>
    public readonly record struct Literal(string Text, int Id, bool IsSpecial);

    /// <summary>A piece of the input: a matched literal (<see cref="Literal"/> set) or plain text.</summary>
    public readonly record struct Segment(int Start, int End, Literal? Literal);

    private readonly Dictionary<char, Literal[]> _byFirstChar;

    public LiteralTokenMatcher(IEnumerable<Literal> literals)
    {
        _byFirstChar = literals
            .Where(l => l.Text.Length > 0)
            .GroupBy(l => l.Text[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(l => l.Text.Length).ThenBy(l => l.Text, StringComparer.Ordinal).ToArray());
    }

    public List<Segment> Split(string text, bool includeSpecial)
    {
        var segments = new List<Segment>();
        int plainStart = 0;
        for (int i = 0; i < text.Length;)
        {
            Literal? match = _byFirstChar.TryGetValue(text[i], out var candidates) ? Find(text, i, candidates, includeSpecial) : null;
            if (match is not { } literal)
            {
                i++;
                continue;
            }
            if (plainStart < i) segments.Add(new Segment(plainStart, i, null));
            segments.Add(new Segment(i, i + literal.Text.Length, literal));
            i += literal.Text.Length;
            plainStart = i;
        }
        if (plainStart < text.Length) segments.Add(new Segment(plainStart, text.Length, null));
        return segments;
    }

    private static Literal? Find(string text, int position, Literal[] candidates, bool includeSpecial)
    {
        var rest = text.AsSpan(position);
        foreach (var candidate in candidates)
        {
            if ((includeSpecial || !candidate.IsSpecial) && rest.StartsWith(candidate.Text, StringComparison.Ordinal)) return candidate;
        }
        return null;
    }
}
