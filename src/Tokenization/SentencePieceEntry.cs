namespace FedLlm.Tokenization;

/// <summary>One vocabulary entry of a SentencePiece model; its id is its index in <see cref="SentencePieceModel.Pieces"/>.</summary>
public sealed record SentencePieceEntry(string Piece, float Score, SentencePieceType Type = SentencePieceType.Normal);
