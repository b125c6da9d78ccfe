namespace FedLlm.Tokenization;

/// <summary>
/// GPT-2's reversible byte ↔ char mapping used by byte-level BPE: printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ')
/// map to themselves, the other 68 bytes to U+0100 + n in byte order (so space becomes 'Ġ', newline 'Ċ').
/// </summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] ByteToCharTable = BuildTable();
    private static readonly int[] CharToByteTable = BuildInverse(ByteToCharTable);

    public static char ByteToChar(byte value) => ByteToCharTable[value];

    /// <summary>The byte a char of the alphabet stands for, or -1 for chars outside it.</summary>
    public static int CharToByte(char value) => value < CharToByteTable.Length ? CharToByteTable[value] : -1;

    /// <summary>Maps UTF-8 bytes to their byte-level string (e.g. " hi" → "Ġhi").</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        return string.Create(bytes.Length, bytes.ToArray(), static (chars, source) =>
        {
            for (int i = 0; i < source.Length; i++) chars[i] = ByteToCharTable[source[i]];
        });
    }

    /// <summary>Maps a byte-level string back to bytes; chars outside the alphabet contribute their own UTF-8.</summary>
    public static byte[] Decode(string token)
    {
        var bytes = new List<byte>(token.Length);
        for (int i = 0; i < token.Length; i++)
        {
            int b = CharToByte(token[i]);
            if (b >= 0)
            {
                bytes.Add((byte)b);
                continue;
            }
            int width = char.IsSurrogatePair(token, i) ? 2 : 1;
            bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(token.Substring(i, width)));
            i += width - 1;
        }
        return [.. bytes];
    }

    private static char[] BuildTable()
    {
        var table = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)(256 + next++);
        }
        return table;
    }

    private static int[] BuildInverse(char[] table)
    {
        var inverse = new int[256 + 68];
        Array.Fill(inverse, -1);
        for (int b = 0; b < 256; b++) inverse[table[b]] = b;
        return inverse;
    }
}
