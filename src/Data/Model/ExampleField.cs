using FedLlm.Foundation.Configuration;

namespace FedLlm.Data.Model;

/// <summary>A metadata field records can be grouped or labelled by (split.field).</summary>
public enum ExampleField
{
    Category,
    Client,
    Language,
}

public static class ExampleFields
{
    /// <summary>The config spelling of <see cref="ExampleField"/>, with the column names it is commonly read from as aliases.</summary>
    public static readonly NamedValues<ExampleField> Names = new(
        ("category", ExampleField.Category), ("label", ExampleField.Category),
        ("client", ExampleField.Client), ("client_id", ExampleField.Client), ("user", ExampleField.Client), ("user_id", ExampleField.Client),
        ("language", ExampleField.Language));

    /// <summary>The field's value in <paramref name="metadata"/>, or null when the record has none.</summary>
    public static string? ValueIn(this ExampleField field, ExampleMetadata metadata) => field switch
    {
        ExampleField.Category => metadata.Category,
        ExampleField.Client => metadata.ClientId,
        ExampleField.Language => metadata.Language,
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, null),
    };
}
