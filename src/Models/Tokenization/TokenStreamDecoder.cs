using System.Text;

namespace FedLlm.Models.Tokenization;

/// <summary>
/// Incremental decoding for generation: <see cref="Append"/> returns the text completed by one more id and holds
/// back an incomplete UTF-8 byte sequence until it completes (or a text piece / <see cref="Flush"/> ends it,
/// which yields U+FFFD exactly as whole-string decoding would).
/// </summary>
public sealed class TokenStreamDecoder
{
    private readonly Func<int, DecodedPiece> _pieceOf;
    private readonly Func<string, string>? _transformText;
    private readonly bool _dropLeadingSpace;
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private bool _pendingBytes;
    private bool _emittedAnything;

    /// <param name="pieceOf">What each id contributes.</param>
    /// <param name="transformText">Applied to all produced text (e.g. SentencePiece's '▁' → ' '); must act char by char.</param>
    /// <param name="dropLeadingSpace">Drop one ' ' at the very start of the output (SentencePiece's dummy prefix).</param>
    public TokenStreamDecoder(Func<int, DecodedPiece> pieceOf, Func<string, string>? transformText = null, bool dropLeadingSpace = false)
    {
        _pieceOf = pieceOf ?? throw new ArgumentNullException(nameof(pieceOf));
        _transformText = transformText;
        _dropLeadingSpace = dropLeadingSpace;
    }

    public string Append(int id)
    {
        DecodedPiece piece = _pieceOf(id);
        if (piece.Text is null)
        {
            if (piece.Bytes.IsEmpty) return string.Empty;
            _pendingBytes = true;
            return Emit(DecodeBytes(piece.Bytes.Span, flush: false));
        }
        string completedBytes = _pendingBytes ? DecodeBytes([], flush: true) : string.Empty;
        _pendingBytes = false;
        return Emit(completedBytes + piece.Text);
    }

    /// <summary>Ends the stream: returns whatever was held back (invalid trailing bytes become U+FFFD).</summary>
    public string Flush()
    {
        if (!_pendingBytes) return string.Empty;
        _pendingBytes = false;
        return Emit(DecodeBytes([], flush: true));
    }

    private string DecodeBytes(ReadOnlySpan<byte> bytes, bool flush)
    {
        // At most one char per byte, plus replacement chars for up to 3 bytes carried over from earlier calls.
        Span<char> buffer = bytes.Length <= 252 ? stackalloc char[bytes.Length + 4] : new char[bytes.Length + 4];
        int written = _utf8.GetChars(bytes, buffer, flush);
        return new string(buffer[..written]);
    }

    private string Emit(string text)
    {
        if (text.Length == 0) return text;
        if (_transformText is not null) text = _transformText(text);
        if (!_emittedAnything)
        {
            _emittedAnything = true;
            if (_dropLeadingSpace && text.StartsWith(' ')) text = text[1..];
        }
        return text;
    }
}
