namespace FedLlm.Data.Model;

/// <summary>Raw text for continued pre-training (every token is a target).</summary>
public sealed record TextExample(string Text, ExampleMetadata Metadata) : Example(Metadata);
