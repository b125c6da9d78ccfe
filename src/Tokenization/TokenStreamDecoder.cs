using System.Text;

namespace FedLlm.Tokenization;

/// <summary>
/// Incremental decoder for streaming generation: <see cref="Append"/> returns the text that became complete with this id
/// (bytes of a char split across tokens are held back until the char is whole). The concatenation of all
/// <see cref="Append"/> results and a final <see cref="Flush"/> equals <see cref="ITokenizer.Decode"/> of the same ids.
/// </summary>
public sealed class TokenStreamDecoder
{
    private readonly ITokenTextSource _source;
    private readonly bool _skipSpecialTokens;
    private readonly Decoder _utf8 = Encoding.UTF8.GetDecoder();
    private char[] _chars = new char[64];
    private bool _atSegmentStart = true;

    internal TokenStreamDecoder(ITokenTextSource source, bool skipSpecialTokens)
    {
        _source = source;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>
    /// Continues a text that ended with <paramref name="previousId"/> (a prompt's last token) rather than starting one:
    /// after an ordinary token SentencePiece's dummy-prefix space is real ("a big bear" + "▁named" is "a big bear named"),
    /// after a special token (BOS alone, a chat marker) it is dropped as at the start of any text.
    /// </summary>
    public void ContinueAfter(int previousId)
    {
        TokenTextAssembler.CheckId(_source, previousId);
        _atSegmentStart = _source.IsSpecial(previousId);
    }

    /// <summary>Feeds one id; returns the newly completed text (possibly empty).</summary>
    public string Append(int id)
    {
        TokenTextAssembler.CheckId(_source, id);
        if (_source.IsSpecial(id))
        {
            string pending = DecodeBytes([], flush: true);
            _atSegmentStart = true;
            return _skipSpecialTokens ? pending : pending + _source.SpecialText(id);
        }
        var bytes = TokenTextAssembler.TrimSegmentStart(_source, _source.Bytes(id), ref _atSegmentStart);
        return DecodeBytes(bytes, flush: false);
    }

    /// <summary>Ends the stream: any incomplete trailing bytes come out as U+FFFD, like full decoding does.</summary>
    public string Flush()
    {
        string rest = DecodeBytes([], flush: true);
        _atSegmentStart = true;
        return rest;
    }

    private string DecodeBytes(ReadOnlySpan<byte> bytes, bool flush)
    {
        int needed = _utf8.GetCharCount(bytes, flush: false) + 4;
        if (_chars.Length < needed) _chars = new char[Math.Max(needed, _chars.Length * 2)];
        int count = _utf8.GetChars(bytes, _chars, flush);
        return count == 0 ? string.Empty : new string(_chars, 0, count);
    }
}
