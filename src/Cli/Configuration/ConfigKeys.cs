using System.Reflection;
using YamlDotNet.Serialization.NamingConventions;

namespace FedLlm.Cli.Configuration;

/// <summary>
/// Checks a parsed YAML tree against the config type before binding, so an unknown key is reported by its full
/// dotted name with the keys that are valid at that level (YamlDotNet's own message names a .NET type instead).
/// </summary>
public static class ConfigKeys
{
    /// <summary>The first unknown key of <paramref name="tree"/> as a message, or null when every key exists.</summary>
    public static string? FindUnknown(Type type, IReadOnlyDictionary<object, object?> tree, string prefix = "")
    {
        var properties = Settable(type);
        foreach (var (rawKey, value) in tree)
        {
            string key = rawKey?.ToString() ?? "";
            string path = prefix + key;
            if (!properties.TryGetValue(key, out var property))
            {
                string where = prefix.Length == 0 ? "at the top level" : $"in {prefix.TrimEnd('.')}";
                return $"unknown config key '{path}' (valid keys {where}: {string.Join(", ", properties.Keys.Order(StringComparer.Ordinal))})";
            }
            if (value is IReadOnlyDictionary<object, object?> child && IsSection(property.PropertyType)
                && FindUnknown(property.PropertyType, child, path + ".") is { } nested)
                return nested;
        }
        return null;
    }

    private static Dictionary<string, PropertyInfo> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite)
            .ToDictionary(p => UnderscoredNamingConvention.Instance.Apply(p.Name), StringComparer.Ordinal);

    private static bool IsSection(Type type) =>
        type.IsClass && type != typeof(string) && !typeof(System.Collections.IEnumerable).IsAssignableFrom(type);
}
