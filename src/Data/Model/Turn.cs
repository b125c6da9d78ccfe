namespace FedLlm.Data.Model;

/// <summary>One message of a conversation.</summary>
public sealed record Turn(Role Role, string Content);
