namespace FedLlm.Data.Model;

/// <summary>Who speaks a turn. System prompts live in <see cref="Conversation.System"/>; the value exists for template headers.</summary>
public enum Role
{
    System,
    User,
    Assistant,
}
