namespace FedLlm.Tokenization;

/// <summary>ModelProto.SentencePiece.Type values from sentencepiece_model.proto.</summary>
public enum SentencePieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}
