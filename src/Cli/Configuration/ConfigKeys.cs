using System.Reflection;
using YamlDotNet.Serialization.NamingConventions;

namespace FedLlm.Cli.Configuration;

/// <summary>
/// Rejects config keys the target type does not have, naming the full key path and the valid keys at that level,
/// before any value is converted (so a typo is reported as such, not as a .NET type error).
/// </summary>
public static class ConfigKeys
{
    /// <summary>Checks every key of a parsed YAML tree against <paramref name="type"/>.</summary>
    public static void Check(Type type, Dictionary<object, object?> tree, string source, string prefix = "")
    {
        var keys = KeysOf(type);
        foreach (var (key, value) in tree)
        {
            string name = key.ToString() ?? "";
            string path = prefix + name;
            if (!keys.TryGetValue(name, out var property)) throw Unknown(source, path, keys.Keys);
            if (value is Dictionary<object, object?> child && IsSection(property.PropertyType)) Check(property.PropertyType, child, source, path + ".");
            if (value is List<object?> list && SectionListElement(property.PropertyType) is { } element)
            {
                for (int i = 0; i < list.Count; i++)
                    if (list[i] is Dictionary<object, object?> item) Check(element, item, source, $"{path}[{i}].");
            }
        }
    }

    /// <summary>Checks one dotted key path such as <c>lora.rank</c>.</summary>
    public static void CheckPath(Type type, string dottedPath, string source)
    {
        string[] parts = dottedPath.Split('.');
        string prefix = "";
        for (int i = 0; i < parts.Length; i++)
        {
            var keys = KeysOf(type);
            if (!keys.TryGetValue(parts[i], out var property)) throw Unknown(source, prefix + parts[i], keys.Keys);
            if (i < parts.Length - 1 && !IsSection(property.PropertyType))
                throw new ArgumentException($"{source}: '{prefix + parts[i]}' is a value, not a section, so '{dottedPath}' does not exist");
            type = property.PropertyType;
            prefix += parts[i] + ".";
        }
    }

    private static ArgumentException Unknown(string source, string path, IEnumerable<string> valid) =>
        new($"{source}: unknown config key '{path}' (valid here: {string.Join(", ", valid.Order(StringComparer.Ordinal))})");

    private static Dictionary<string, PropertyInfo> KeysOf(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true })
            .ToDictionary(p => UnderscoredNamingConvention.Instance.Apply(p.Name), StringComparer.Ordinal);

    /// <summary>The section type of a list of sections (e.g. a suite's tasks), or null for any other type.</summary>
    private static Type? SectionListElement(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) && IsSection(type.GetGenericArguments()[0]) ? type.GetGenericArguments()[0] : null;

    /// <summary>A nested config section: a class of our own with settable properties (not a string or collection).</summary>
    private static bool IsSection(Type type) =>
        type.IsClass && type != typeof(string) && !typeof(System.Collections.IEnumerable).IsAssignableFrom(type)
        && type.GetProperties().Any(p => p.SetMethod is { IsPublic: true });
}
