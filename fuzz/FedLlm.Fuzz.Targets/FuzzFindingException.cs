namespace FedLlm.Fuzz.Targets;

/// <summary>A target's own check failed (not an exception of the code under test): always a finding.</summary>
public sealed class FuzzFindingException(string message) : Exception(message);
