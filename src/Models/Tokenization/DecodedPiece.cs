namespace FedLlm.Models.Tokenization;

/// <summary>What one token id contributes to decoded output: literal text, raw UTF-8 bytes, or nothing.</summary>
public readonly record struct DecodedPiece(string? Text, ReadOnlyMemory<byte> Bytes)
{
    public static DecodedPiece Nothing => default;

    public static DecodedPiece FromText(string text) => new(text, ReadOnlyMemory<byte>.Empty);

    public static DecodedPiece FromBytes(ReadOnlyMemory<byte> bytes) => new(null, bytes);
}
