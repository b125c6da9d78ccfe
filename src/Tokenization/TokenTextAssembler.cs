using System.Text;

namespace FedLlm.Tokenization;

/// <summary>Full (non-streaming) decoding of ids to text for any <see cref="ITokenTextSource"/>.</summary>
internal static class TokenTextAssembler
{
    public static string Decode(ITokenTextSource source, IEnumerable<int> ids, bool skipSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        var run = new List<byte>();
        bool atSegmentStart = true;
        foreach (int id in ids)
        {
            CheckId(source, id);
            if (source.IsSpecial(id))
            {
                FlushRun(run, text);
                if (!skipSpecialTokens) text.Append(source.SpecialText(id));
                atSegmentStart = true;
                continue;
            }
            var bytes = TrimSegmentStart(source, source.Bytes(id), ref atSegmentStart);
            foreach (byte b in bytes) run.Add(b);
        }
        FlushRun(run, text);
        return text.ToString();
    }

    /// <summary>Applies the dummy-prefix rule: the first ordinary token of a segment loses one leading space.</summary>
    public static ReadOnlySpan<byte> TrimSegmentStart(ITokenTextSource source, ReadOnlySpan<byte> bytes, ref bool atSegmentStart)
    {
        if (!atSegmentStart || bytes.IsEmpty) return bytes;
        atSegmentStart = false;
        return source.StripLeadingSpaceAtSegmentStart && bytes[0] == (byte)' ' ? bytes[1..] : bytes;
    }

    public static void CheckId(ITokenTextSource source, int id)
    {
        if ((uint)id >= (uint)source.VocabSize)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id {id} is outside the vocabulary (size {source.VocabSize}).");
    }

    private static void FlushRun(List<byte> run, StringBuilder text)
    {
        if (run.Count == 0) return;
        text.Append(Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(run)));
        run.Clear();
    }
}
