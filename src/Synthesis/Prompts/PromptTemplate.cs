using System.Text.RegularExpressions;

namespace FedLlm.Synthesis.Prompts;

/// <summary>
/// A prompt with <c>{{name}}</c> placeholders, read from a text file users can edit. <c>{{! … }}</c> is a comment (the
/// Mustache convention), dropped with the rest of its line. Rendering demands a value for every placeholder and rejects
/// values for names the template does not have, so a renamed placeholder fails loudly instead of vanishing. The
/// built-in templates ship in <c>Prompts/</c> beside the binaries.
/// </summary>
public sealed partial class PromptTemplate
{
    [GeneratedRegex(@"\{\{!.*?\}\}[ \t]*\n?", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex Comment();

    [GeneratedRegex(@"\{\{\s*([a-z][a-z0-9_]*)\s*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();

    private PromptTemplate(string source, string text)
    {
        Source = source;
        Text = text;
        Placeholders = [.. Placeholder().Matches(text).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Where the template came from (a path, or "built-in NAME").</summary>
    public string Source { get; }

    /// <summary>The template without its comments.</summary>
    public string Text { get; }

    /// <summary>Placeholder names in order of first appearance.</summary>
    public IReadOnlyList<string> Placeholders { get; }

    /// <summary>The folder of the built-in templates: <c>Prompts/</c> beside the application's binaries.</summary>
    public static string BuiltInDirectory => Path.Combine(AppContext.BaseDirectory, "Prompts");

    /// <summary>Names of the built-in templates found in <see cref="BuiltInDirectory"/>.</summary>
    public static IReadOnlyList<string> BuiltInNames =>
        Directory.Exists(BuiltInDirectory)
            ? [.. Directory.EnumerateFiles(BuiltInDirectory, "*.txt").Select(f => Path.GetFileNameWithoutExtension(f)!).Order(StringComparer.Ordinal)]
            : [];

    public static PromptTemplate Parse(string text, string source = "inline")
    {
        ArgumentNullException.ThrowIfNull(text);
        string body = Comment().Replace(text.Replace("\r\n", "\n", StringComparison.Ordinal), "");
        if (body.Contains("{{!", StringComparison.Ordinal)) throw new FormatException($"{source}: a '{{{{!' comment is not closed with '}}}}'");
        return new PromptTemplate(source, body);
    }

    /// <summary>
    /// A user's template file, or the built-in of that name (<c>u2s</c>, <c>fedgc</c>, …) when
    /// <paramref name="pathOrName"/> is not an existing file.
    /// </summary>
    public static PromptTemplate Load(string pathOrName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pathOrName);
        if (File.Exists(pathOrName)) return Parse(File.ReadAllText(pathOrName), pathOrName);
        string builtIn = Path.Combine(BuiltInDirectory, pathOrName + ".txt");
        bool bareName = pathOrName.IndexOfAny(['/', '\\']) < 0 && !Path.HasExtension(pathOrName);
        if (bareName && File.Exists(builtIn)) return Parse(File.ReadAllText(builtIn), $"built-in {pathOrName}");
        throw new FileNotFoundException(
            $"prompt template '{pathOrName}' is neither a file nor a built-in (built-ins in {BuiltInDirectory}: {string.Join(", ", BuiltInNames)})", pathOrName);
    }

    /// <summary>Checks that the template has every placeholder a pipeline will fill (a user's copy may have lost one).</summary>
    public void Require(params string[] names)
    {
        string[] missing = [.. names.Where(n => !Placeholders.Contains(n))];
        if (missing.Length > 0)
            throw new FormatException($"{Source}: the template has no {string.Join(", ", missing.Select(n => "{{" + n + "}}"))} placeholder; it needs {string.Join(", ", names.Select(n => "{{" + n + "}}"))}");
    }

    public string Render(IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        string[] missing = [.. Placeholders.Where(p => !values.ContainsKey(p))];
        if (missing.Length > 0) throw new ArgumentException($"{Source}: no value for {string.Join(", ", missing.Select(n => "{{" + n + "}}"))}");
        string[] unknown = [.. values.Keys.Where(k => !Placeholders.Contains(k)).Order(StringComparer.Ordinal)];
        if (unknown.Length > 0) throw new ArgumentException($"{Source}: the template has no placeholder {string.Join(", ", unknown.Select(n => "{{" + n + "}}"))}");
        // One pass over the template: a value that itself contains {{…}} is not expanded again.
        return Placeholder().Replace(Text, m => values[m.Groups[1].Value]);
    }
}
