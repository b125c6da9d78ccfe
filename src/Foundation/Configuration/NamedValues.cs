namespace FedLlm.Foundation.Configuration;

/// <summary>
/// The one way FedLlm reads an enumeration from text (a config key, a flag, a wire field): names are matched
/// case-insensitively, and an unknown name is an error that says which key held it and lists every valid name.
/// Each enumeration declares one instance of this, next to its values, and every reader goes through it.
/// </summary>
public sealed class NamedValues<T>
{
    private readonly (string Name, T Value)[] _entries;

    /// <param name="entries">Canonical spelling first for each value; extra spellings of the same value are accepted aliases.</param>
    public NamedValues(params (string Name, T Value)[] entries)
    {
        if (entries.Length == 0) throw new ArgumentException("an enumeration needs at least one name", nameof(entries));
        _entries = entries;
        Names = [.. entries.Select(e => e.Value).Distinct().Select(NameOf)];
    }

    /// <summary>The canonical names, in declaration order (aliases left out).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The value named <paramref name="name"/>; <paramref name="key"/> is what the error names (e.g. <c>data.format</c>).</summary>
    /// <exception cref="ArgumentException">The name is empty or unknown; the message lists the valid names.</exception>
    public T Parse(string? name, string key) =>
        TryParse(name, out T value) ? value : throw new ArgumentException($"{key} '{name}' is unknown (valid: {string.Join(", ", Names)})");

    public bool TryParse(string? name, out T value)
    {
        string trimmed = name?.Trim() ?? "";
        foreach (var (candidate, candidateValue) in _entries)
        {
            if (string.Equals(candidate, trimmed, StringComparison.OrdinalIgnoreCase))
            {
                value = candidateValue;
                return true;
            }
        }
        value = default!;
        return false;
    }

    /// <summary>Null when <paramref name="name"/> parses, otherwise the same message <see cref="Parse"/> would throw.</summary>
    public string? Problem(string? name, string key) => TryParse(name, out _) ? null : $"{key} '{name}' is unknown (valid: {string.Join(", ", Names)})";

    /// <summary>The canonical name of <paramref name="value"/>.</summary>
    public string NameOf(T value) =>
        _entries.First(e => EqualityComparer<T>.Default.Equals(e.Value, value)).Name;
}
