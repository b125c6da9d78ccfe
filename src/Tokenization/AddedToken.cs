namespace FedLlm.Tokenization;

/// <summary>A tokenizer.json added_tokens entry: matched literally in text before the model runs.</summary>
public sealed record AddedToken(int Id, string Content, bool Special);
