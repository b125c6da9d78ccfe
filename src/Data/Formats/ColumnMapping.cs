namespace FedLlm.Data.Formats;

/// <summary>
/// Names the columns of a dataset whose keys no built-in format knows, e.g. <c>prompt=question,response=answer,label=category,client=user_id</c>.
/// Content columns (prompt, input, response, chosen, rejected, text, conversations, system) select the
/// <see cref="RecordFormat.Mapped"/> format; metadata columns (label, client, language, reference) also apply on top of any format.
/// </summary>
public sealed record ColumnMapping
{
    public string? Prompt { get; init; }
    public string? Input { get; init; }
    public string? Response { get; init; }
    public string? System { get; init; }
    public string? Chosen { get; init; }
    public string? Rejected { get; init; }
    public string? Text { get; init; }
    public string? Conversations { get; init; }
    public string? Category { get; init; }
    public string? ClientId { get; init; }
    public string? Language { get; init; }
    public string? ReferenceAnswer { get; init; }

    public bool MapsContent =>
        Prompt is not null || Response is not null || Chosen is not null || Rejected is not null || Text is not null || Conversations is not null;

    /// <summary>Throws when the content columns do not describe one example kind.</summary>
    public void Validate()
    {
        if ((Chosen is null) != (Rejected is null))
            throw new ArgumentException("A preference column mapping needs both 'chosen' and 'rejected'.");
        if (Chosen is not null && Prompt is null && Conversations is null)
            throw new ArgumentException("A preference column mapping needs 'prompt' or 'conversations'.");
        if (Response is not null && Prompt is null)
            throw new ArgumentException("A column mapping with 'response' needs 'prompt'.");
        if (MapsContent && Prompt is null && Conversations is null && Text is null)
            throw new ArgumentException("The column mapping names no prompt, conversations or text column.");
    }

    private static readonly string ValidKeys =
        "prompt (instruction, question), input, response (output, answer), system, chosen, rejected, text, conversations (messages), " +
        "label (category), client (client_id, user), language, reference";

    /// <summary>Parses "target=column" pairs separated by commas.</summary>
    public static ColumnMapping Parse(string specification)
    {
        ArgumentNullException.ThrowIfNull(specification);
        var mapping = new ColumnMapping();
        foreach (string pair in specification.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int equals = pair.IndexOf('=');
            if (equals <= 0 || equals == pair.Length - 1)
                throw new FormatException($"Column mapping entry '{pair}' must look like target=column (targets: {ValidKeys}).");
            string target = pair[..equals].Trim().ToLowerInvariant(), column = pair[(equals + 1)..].Trim();
            mapping = target switch
            {
                "prompt" or "instruction" or "question" => mapping with { Prompt = column },
                "input" => mapping with { Input = column },
                "response" or "output" or "answer" => mapping with { Response = column },
                "system" => mapping with { System = column },
                "chosen" => mapping with { Chosen = column },
                "rejected" => mapping with { Rejected = column },
                "text" => mapping with { Text = column },
                "conversations" or "messages" => mapping with { Conversations = column },
                "label" or "category" => mapping with { Category = column },
                "client" or "client_id" or "user" => mapping with { ClientId = column },
                "language" => mapping with { Language = column },
                "reference" => mapping with { ReferenceAnswer = column },
                _ => throw new FormatException($"Unknown column mapping target '{target}'. Valid targets: {ValidKeys}."),
            };
        }
        return mapping;
    }
}
