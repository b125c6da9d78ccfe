namespace FedLlm.Data.Model;

/// <summary>
/// A dialogue of alternating user and assistant turns that starts with the user, plus an optional system prompt.
/// It may end with either role: ending with the assistant is a training example, ending with the user is a prompt.
/// </summary>
public sealed class Conversation
{
    public Conversation(IEnumerable<Turn> turns, string? system = null)
    {
        ArgumentNullException.ThrowIfNull(turns);
        var list = turns.ToArray();
        if (list.Length == 0) throw new ArgumentException("A conversation needs at least one turn.", nameof(turns));
        for (int i = 0; i < list.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(list[i], nameof(turns));
            if (list[i].Content is null) throw new ArgumentException($"Turn {i + 1} has no content.", nameof(turns));
            var expected = i % 2 == 0 ? Role.User : Role.Assistant;
            if (list[i].Role != expected)
                throw new ArgumentException(
                    $"Turn {i + 1} is {list[i].Role} but must be {expected}: turns alternate user/assistant starting with the user " +
                    "(a system prompt goes in Conversation.System).", nameof(turns));
        }
        Turns = list;
        System = system;
    }

    public IReadOnlyList<Turn> Turns { get; }

    public string? System { get; }

    public bool EndsWithAssistant => Turns[^1].Role == Role.Assistant;

    /// <summary>The content of the last assistant turn, or null when the conversation ends with the user.</summary>
    public string? FinalResponse => EndsWithAssistant ? Turns[^1].Content : null;

    public static Conversation SingleTurn(string instruction, string? response, string? system = null) =>
        new(response is null ? [new Turn(Role.User, instruction)] : [new Turn(Role.User, instruction), new Turn(Role.Assistant, response)], system);

    /// <summary>The conversation up to the last user turn: what a model is prompted with to produce the final answer.</summary>
    public Conversation WithoutFinalResponse() => EndsWithAssistant ? new Conversation(Turns.Take(Turns.Count - 1), System) : this;

    /// <summary>This prompt (ending with the user) followed by an assistant answer.</summary>
    public Conversation WithResponse(string response)
    {
        if (EndsWithAssistant) throw new InvalidOperationException("The conversation already ends with an assistant turn.");
        return new Conversation(Turns.Append(new Turn(Role.Assistant, response)), System);
    }
}
