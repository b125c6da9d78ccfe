namespace FedLlm.Data.Model;

/// <summary>Preference data for DPO: a prompt (ending with the user) and two candidate answers.</summary>
public sealed record PreferenceExample : Example
{
    public PreferenceExample(Conversation prompt, string chosen, string rejected, ExampleMetadata metadata) : base(metadata)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (prompt.EndsWithAssistant) throw new ArgumentException("A preference prompt must end with a user turn.", nameof(prompt));
        Prompt = prompt;
        Chosen = chosen ?? throw new ArgumentNullException(nameof(chosen));
        Rejected = rejected ?? throw new ArgumentNullException(nameof(rejected));
    }

    public Conversation Prompt { get; }

    public string Chosen { get; }

    public string Rejected { get; }
}
