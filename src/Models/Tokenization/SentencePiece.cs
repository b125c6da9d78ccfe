namespace FedLlm.Models.Tokenization;

/// <summary>Piece types as numbered in sentencepiece_model.proto (SentencePiece.Type).</summary>
public enum PieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

/// <summary>One vocabulary entry; <see cref="Piece"/> uses '▁' (U+2581) for spaces, as SentencePiece does.</summary>
public sealed record SentencePiece(string Piece, float Score, PieceType Type = PieceType.Normal);
