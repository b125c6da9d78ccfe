namespace FedLlm.Tokenization;

/// <summary>A token id and the char range [Start, End) of the input string it came from.</summary>
public readonly record struct EncodedToken(int Id, int Start, int End);
