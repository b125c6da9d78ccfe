using System.Globalization;
using System.Text;
using System.Text.Json;

namespace FedLlm.Evaluation.Suites;

/// <summary>
/// A text with <c>{field}</c> placeholders filled from a JSON record: strings as they are, numbers and booleans as
/// written, arrays of strings joined by newlines, <c>{field:lettered}</c> an array as "A. first\nB. second"; a dotted
/// name reaches into nested objects. <c>{{</c> and <c>}}</c> are literal braces. Extra values (such as <c>{label}</c>)
/// take precedence over record fields.
/// </summary>
public sealed class FieldTemplate
{
    private readonly List<(string Literal, string? Field, string? Format)> _parts = [];

    public FieldTemplate(string text)
    {
        Text = text;
        var literal = new StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if ((c == '{' || c == '}') && i + 1 < text.Length && text[i + 1] == c)
            {
                literal.Append(c);
                i++;
                continue;
            }
            if (c == '}') throw new FormatException($"template \"{text}\": a lone '}}' at position {i} (write }}}} for a literal brace)");
            if (c != '{')
            {
                literal.Append(c);
                continue;
            }
            int close = text.IndexOf('}', i + 1);
            if (close < 0) throw new FormatException($"template \"{text}\": '{{' at position {i} is never closed (write {{{{ for a literal brace)");
            string name = text[(i + 1)..close].Trim();
            if (name.Length == 0) throw new FormatException($"template \"{text}\": empty placeholder at position {i}");
            int colon = name.IndexOf(':');
            string? format = colon < 0 ? null : name[(colon + 1)..].Trim();
            if (format is not (null or "lettered")) throw new FormatException($"template \"{text}\": unknown format ':{format}' (valid: lettered)");
            _parts.Add((literal.ToString(), colon < 0 ? name : name[..colon].Trim(), format));
            literal.Clear();
            i = close;
        }
        if (literal.Length > 0) _parts.Add((literal.ToString(), null, null));
    }

    public string Text { get; }

    /// <summary>The record fields the template reads (without the extra values the caller supplies).</summary>
    public IEnumerable<string> Fields => _parts.Where(p => p.Field is not null).Select(p => p.Field!);

    /// <exception cref="KeyNotFoundException">The record lacks a field the template names.</exception>
    public string Render(JsonElement record, IReadOnlyDictionary<string, string>? extra = null)
    {
        var text = new StringBuilder();
        foreach (var (literal, field, format) in _parts)
        {
            text.Append(literal);
            if (field is null) continue;
            if (extra is not null && extra.TryGetValue(field, out string? value))
            {
                text.Append(value);
                continue;
            }
            var element = Find(record, field) ?? throw new KeyNotFoundException($"the record has no field '{field}'");
            text.Append(format == "lettered" ? Lettered(element, field) : Format(element, field));
        }
        return text.ToString();
    }

    /// <summary>The value at a dotted path, or null.</summary>
    public static JsonElement? Find(JsonElement record, string path)
    {
        var current = record;
        foreach (string part in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part, out current)) return null;
        }
        return current;
    }

    /// <summary>A scalar or an array of scalars as text.</summary>
    public static string Format(JsonElement element, string field) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString()!,
        JsonValueKind.Number => element.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "",
        JsonValueKind.Array => string.Join("\n", element.EnumerateArray().Select(e => Format(e, field))),
        _ => throw new KeyNotFoundException($"field '{field}' is a JSON {element.ValueKind}, not text"),
    };

    /// <summary>The elements of an array field as text.</summary>
    public static IReadOnlyList<string> Items(JsonElement element, string field) =>
        element.ValueKind == JsonValueKind.Array
            ? [.. element.EnumerateArray().Select(e => Format(e, field))]
            : throw new KeyNotFoundException($"field '{field}' is a JSON {element.ValueKind}, not an array");

    public static string Letter(int index) => ((char)('A' + index)).ToString(CultureInfo.InvariantCulture);

    private static string Lettered(JsonElement element, string field) =>
        string.Join("\n", Items(element, field).Select((item, i) => $"{Letter(i)}. {item}"));
}
