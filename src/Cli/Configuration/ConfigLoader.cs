using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace FedLlm.Cli.Configuration;

/// <summary>
/// Reads a YAML config (snake_case keys) and applies <c>--set path.to.key=value</c> overrides, so every field of every
/// config is also settable from the command line. Unknown keys are errors naming the file and line.
/// </summary>
public static class ConfigLoader
{
    private static readonly IDeserializer TypedDeserializer = new DeserializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .Build();

    private static readonly IDeserializer TreeDeserializer = new DeserializerBuilder().Build();
    private static readonly ISerializer TreeSerializer = new SerializerBuilder().Build();

    /// <summary>A config of one type only (no party sections).</summary>
    public static T Load<T>(string? path, IEnumerable<string> overrides) where T : new() =>
        Deserialize<T>(ReadTree(path, overrides, typeof(T), null), path);

    /// <summary>
    /// Reads a config whose top level mixes the run's keys with party-specific sections (<c>server:</c>, <c>client:</c>):
    /// the run keys become <typeparamref name="TRun"/>, the sections their own types. Every key of every section is
    /// checked, whichever command reads the file, so one file serves them all.
    /// </summary>
    public static (TRun Run, TFirst First, TSecond Second) LoadWithSections<TRun, TFirst, TSecond>(string? path, IEnumerable<string> overrides,
        string first, string second)
        where TRun : new() where TFirst : new() where TSecond : new()
    {
        var tree = ReadTree(path, overrides, typeof(TRun), new Dictionary<string, Type?> { [first] = typeof(TFirst), [second] = typeof(TSecond) });
        // An absent or empty section is the defaults (DropEmptyValues removed `server:`); a value in a section's place (server: 3) is an error, not ignored.
        Dictionary<object, object?> Take(string section) =>
            !tree.Remove(section, out object? value) || value is "" ? []
            : value as Dictionary<object, object?>
              ?? throw new InvalidDataException($"{path ?? "config"}: '{section}' must be a section of keys, found '{TreeSerializer.Serialize(value).Trim()}'");
        var firstTree = Take(first);
        var secondTree = Take(second);
        return (Deserialize<TRun>(tree, path), Deserialize<TFirst>(firstTree, path is null ? null : $"{path} ({first})"),
            Deserialize<TSecond>(secondTree, path is null ? null : $"{path} ({second})"));
    }

    /// <param name="sectionTypes">Top-level sections checked against their own type (null: skipped unchecked).</param>
    private static Dictionary<object, object?> ReadTree(string? path, IEnumerable<string> overrides, Type runType, Dictionary<string, Type?>? sectionTypes)
    {
        Dictionary<object, object?> tree = [];
        if (path is not null)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: config file does not exist", path);
            try
            {
                tree = TreeDeserializer.Deserialize<Dictionary<object, object?>>(File.ReadAllText(path)) ?? [];
            }
            catch (YamlException e)
            {
                throw new InvalidDataException($"{path}:{e.Start.Line}: invalid YAML ({e.InnerException?.Message ?? e.Message})", e);
            }
            catch (InvalidOperationException e)
            {
                // YamlDotNet's parser throws this on some malformed streams (found by fuzzing) instead of a YamlException.
                throw new InvalidDataException($"{path}: invalid YAML ({e.Message})", e);
            }
        }
        var sections = sectionTypes ?? new Dictionary<string, Type?>();
        var runKeys = tree.Where(entry => !sections.ContainsKey(entry.Key.ToString() ?? "")).ToDictionary();
        ConfigKeys.Check(runType, runKeys, path ?? "config");
        foreach (var (name, type) in sections)
        {
            if (type is not null && tree.TryGetValue(name, out object? sectionTree) && sectionTree is Dictionary<object, object?> map)
                ConfigKeys.Check(type, map, path ?? "config", name + ".");
        }
        foreach (string assignment in overrides)
        {
            Apply(tree, assignment);
            string key = assignment[..assignment.IndexOf('=')].Trim();
            int dot = key.IndexOf('.');
            if (dot > 0 && sections.TryGetValue(key[..dot], out Type? sectionType))
            {
                if (sectionType is not null) ConfigKeys.CheckPath(sectionType, key[(dot + 1)..], "--set " + assignment);
            }
            else
            {
                ConfigKeys.CheckPath(runType, key, "--set " + assignment);
            }
        }
        DropEmptyValues(tree, path ?? "config", "", new HashSet<object>(ReferenceEqualityComparer.Instance));
        return tree;
    }

    /// <summary>
    /// A key with no value (<c>lora:</c>, <c>seed: ~</c>) means its default, as if absent: deserialised, it would set a
    /// section to null and every later use of it would fail. An empty list item has no default, so it is an error
    /// (a client list's positions are client ids). Found by fuzzing; keys were checked before this.
    /// </summary>
    /// <param name="seen">Mappings already visited: anchors can share a mapping, or nest one inside itself.</param>
    private static void DropEmptyValues(Dictionary<object, object?> tree, string source, string prefix, HashSet<object> seen)
    {
        if (!seen.Add(tree)) return;
        foreach (var (key, value) in tree.ToList())
        {
            string path = prefix + key;
            switch (value)
            {
                case null:
                    tree.Remove(key);
                    break;
                case Dictionary<object, object?> child:
                    DropEmptyValues(child, source, path + ".", seen);
                    break;
                case List<object?> list:
                    for (int i = 0; i < list.Count; i++)
                    {
                        if (list[i] is null) throw new InvalidDataException($"{source}: '{path}[{i}]' is empty");
                        if (list[i] is Dictionary<object, object?> item) DropEmptyValues(item, source, $"{path}[{i}].", seen);
                    }
                    break;
            }
        }
    }

    private static T Deserialize<T>(Dictionary<object, object?> tree, string? path) where T : new()
    {
        string yaml = TreeSerializer.Serialize(tree);
        try
        {
            return TypedDeserializer.Deserialize<T>(yaml) ?? new T();
        }
        catch (YamlException e)
        {
            string where = path is null ? "--set" : path;
            throw new InvalidDataException($"{where}: {Describe(e)}", e);
        }
    }

    private static void Apply(Dictionary<object, object?> tree, string assignment)
    {
        int equals = assignment.IndexOf('=');
        if (equals <= 0) throw new ArgumentException($"--set expects key=value (e.g. strategy.algorithm=fedprox), got '{assignment}'");
        string[] path = assignment[..equals].Trim().Split('.');
        string value = assignment[(equals + 1)..].Trim();
        var node = tree;
        foreach (string key in path[..^1])
        {
            if (!node.TryGetValue(key, out object? child) || child is not Dictionary<object, object?> childMap)
            {
                childMap = [];
                node[key] = childMap;
            }
            node = childMap;
        }
        node[path[^1]] = value;
    }

    private static string Describe(YamlException e)
    {
        string message = e.InnerException?.Message ?? e.Message;
        // YamlDotNet reports positions in the re-serialised tree; the key name in the message is what matters.
        return message.Replace("(Line: ", "(", StringComparison.Ordinal);
    }
}
