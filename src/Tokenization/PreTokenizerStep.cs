using System.Text.RegularExpressions;

namespace FedLlm.Tokenization;

/// <summary>One stage of a tokenizer.json pre_tokenizer: refines char ranges of the text into smaller ranges.</summary>
internal abstract class PreTokenizerStep
{
    /// <summary>The GPT-2 pattern ByteLevel uses when use_regex is true.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>Appends the pieces of text[start..end) to <paramref name="output"/>.</summary>
    public abstract void Split(string text, int start, int end, List<(int Start, int End)> output);

    public static List<(int Start, int End)> Apply(IReadOnlyList<PreTokenizerStep> steps, string text)
    {
        var current = new List<(int Start, int End)>();
        if (text.Length > 0) current.Add((0, text.Length));
        foreach (var step in steps)
        {
            var refined = new List<(int Start, int End)>(current.Count * 2);
            foreach (var (start, end) in current) step.Split(text, start, end, refined);
            current = refined;
        }
        return current;
    }

    /// <summary>Keeps surrogate pairs whole: a boundary between the two halves moves past the low surrogate.</summary>
    protected static int AvoidSplittingSurrogates(string text, int boundary, int end) =>
        boundary > 0 && boundary < end && char.IsHighSurrogate(text[boundary - 1]) && char.IsLowSurrogate(text[boundary]) ? boundary + 1 : boundary;
}

/// <summary>Split(pattern, behavior Isolated/Removed): matches and the gaps between them become separate pieces.</summary>
internal sealed class RegexSplitStep(Regex pattern, bool removeMatches) : PreTokenizerStep
{
    public override void Split(string text, int start, int end, List<(int Start, int End)> output)
    {
        int position = start;
        for (var match = pattern.Match(text, start, end - start); match.Success; match = match.NextMatch())
        {
            if (match.Length == 0) continue;
            int matchStart = AvoidSplittingSurrogates(text, match.Index, end);
            int matchEnd = AvoidSplittingSurrogates(text, match.Index + match.Length, end);
            if (matchStart < position) matchStart = position;
            if (matchEnd <= matchStart) continue;
            if (position < matchStart) output.Add((position, matchStart));
            if (!removeMatches) output.Add((matchStart, matchEnd));
            position = matchEnd;
        }
        if (position < end) output.Add((position, end));
    }
}

/// <summary>Digits pre-tokenizer: isolates each digit (individual_digits) or each run of digits.</summary>
internal sealed class DigitsStep(bool individualDigits) : PreTokenizerStep
{
    public override void Split(string text, int start, int end, List<(int Start, int End)> output)
    {
        int pieceStart = start;
        for (int i = start; i < end; i++)
        {
            if (!char.IsDigit(text[i])) continue;
            if (pieceStart < i) output.Add((pieceStart, i));
            int runEnd = i + 1;
            if (!individualDigits) while (runEnd < end && char.IsDigit(text[runEnd])) runEnd++;
            output.Add((i, runEnd));
            pieceStart = runEnd;
            i = runEnd - 1;
        }
        if (pieceStart < end) output.Add((pieceStart, end));
    }
}
