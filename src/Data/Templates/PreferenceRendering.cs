namespace FedLlm.Data.Templates;

/// <summary>
/// A preference example rendered for DPO: the prompt (ending with the assistant header) and the two continuations
/// (response plus end-of-turn marker). <c>Prompt + Chosen</c> is a prefix of the full rendering of the chosen conversation.
/// </summary>
public sealed record PreferenceRendering(string Prompt, string Chosen, string Rejected);
