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

    public static T Load<T>(string? path, IEnumerable<string> overrides) where T : new()
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
        }
        if (path is not null && ConfigKeys.FindUnknown(typeof(T), tree) is { } unknownInFile) throw new InvalidDataException($"{path}: {unknownInFile}");
        foreach (string assignment in overrides) Apply(tree, assignment);
        if (ConfigKeys.FindUnknown(typeof(T), tree) is { } unknownFlag) throw new ArgumentException($"command line: {unknownFlag}");

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

    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
