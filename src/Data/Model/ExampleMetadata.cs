namespace FedLlm.Data.Model;

/// <summary>Optional facts about an example, used for partitioning (client), reporting (category, language) and scoring (reference).</summary>
public sealed record ExampleMetadata
{
    public static readonly ExampleMetadata None = new();

    /// <summary>Natural client / user id (FedLLM-Bench client key, a user_id column, ...).</summary>
    public string? ClientId { get; init; }

    public string? Language { get; init; }

    /// <summary>Task, label or category (e.g. a DemoTasks task name).</summary>
    public string? Category { get; init; }

    /// <summary>The exact expected answer for exact-match scoring (e.g. the GSM8K number after "#### ").</summary>
    public string? ReferenceAnswer { get; init; }

    /// <summary>Where the example came from ("file:line" or "file (record N)").</summary>
    public string? Source { get; init; }

    /// <summary>
    /// Set on generated examples: the pipeline that wrote it (<c>u2s</c>, <c>fedgc</c>, <c>knowledgesg</c>), so metrics can
    /// tell generated rows from real ones; null for real data. Read from an <c>origin</c> column.
    /// </summary>
    public string? Origin { get; init; }
}
