using System.Globalization;

namespace FedLlm.Models.Tokenization;

/// <summary>SentencePiece's byte-fallback pieces are spelled "&lt;0xXX&gt;" with two upper-case hex digits.</summary>
internal static class ByteFallbackPieces
{
    public static bool TryParse(string piece, out byte value)
    {
        value = 0;
        return piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
            && byte.TryParse(piece.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    public static string Format(byte value) => $"<0x{value:X2}>";
}
