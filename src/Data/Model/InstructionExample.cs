namespace FedLlm.Data.Model;

/// <summary>Supervised instruction data: a conversation whose assistant turns are the training targets.
/// A conversation ending with the user is a prompt-only example (evaluation sets such as AdvBench).</summary>
public sealed record InstructionExample(Conversation Conversation, ExampleMetadata Metadata) : Example(Metadata)
{
    public bool HasResponse => Conversation.EndsWithAssistant;
}
