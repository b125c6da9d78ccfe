namespace FedLlm.Synthesis.Retrieval;

/// <summary>Pool example <see cref="Index"/> with its relevance score (higher is more related).</summary>
public sealed record RetrievedExample(int Index, double Score);
