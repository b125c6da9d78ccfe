namespace FedLlm.Synthesis.Inputs;

/// <summary>One piece of a client's raw text and where it came from (e.g. <c>wiki_demo.txt:12</c>), so rows can name it.</summary>
public sealed record SourceText(string Text, string Source);
