namespace FedLlm.Synthesis.Text;

/// <summary>
/// One chunk of a document: <see cref="Text"/> is exactly <c>source[Start..(Start + Length)]</c>, so a generated row can
/// point back at its source. <see cref="Oversized"/> marks the one case a chunk may pass the bound: a single word
/// longer than it (words are never split).
/// </summary>
public sealed record TextChunk(int Index, string Text, int Start, int Length, int Tokens, bool Oversized = false);
