using System.Text.Json;
using TorchSharp;

namespace FedLlm.Models.SafeTensors;

/// <summary>
/// The weights of a Hugging Face model directory: either shards listed by "model.safetensors.index.json" (its "weight_map"
/// maps each tensor to a shard file) or a single "model.safetensors". Each shard is opened once and validated; every tensor
/// the index lists must exist in its shard.
/// </summary>
public sealed class ShardedSafeTensors : ISafeTensorsReader
{
    public const string IndexFileName = "model.safetensors.index.json";
    public const string SingleFileName = "model.safetensors";

    private readonly Dictionary<string, SafeTensorsFile> _fileOfTensor;
    private readonly List<SafeTensorsFile> _files;
    private bool _disposed;

    private ShardedSafeTensors(string directory, List<SafeTensorsFile> files, Dictionary<string, SafeTensorsFile> fileOfTensor)
    {
        Directory = directory;
        _files = files;
        _fileOfTensor = fileOfTensor;
        Tensors = fileOfTensor.ToDictionary(pair => pair.Key, pair => pair.Value.Tensors[pair.Key], StringComparer.Ordinal);
    }

    /// <summary>Full path of the model directory.</summary>
    public string Directory { get; }

    /// <summary>The open files: the shards in first-use order of the weight map, or the single file.</summary>
    public IReadOnlyList<SafeTensorsFile> Files => _files;

    /// <summary>The tensors the index lists (or all tensors of the single file); offsets are relative to their own file.</summary>
    public IReadOnlyDictionary<string, SafeTensorInfo> Tensors { get; }

    /// <summary>
    /// Opens the weights in <paramref name="modelDirectory"/>. The index, when present, takes precedence over a single file.
    /// Throws <see cref="FileNotFoundException"/> when neither exists or a shard is missing, and
    /// <see cref="SafeTensorsFormatException"/> for a malformed index or shard.
    /// </summary>
    public static ShardedSafeTensors Open(string modelDirectory)
    {
        string directory = Path.GetFullPath(modelDirectory);
        if (!System.IO.Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Model directory '{directory}' does not exist.");

        string indexPath = Path.Combine(directory, IndexFileName);
        if (File.Exists(indexPath)) return OpenIndexed(directory, indexPath);

        string singlePath = Path.Combine(directory, SingleFileName);
        if (!File.Exists(singlePath))
            throw new FileNotFoundException(
                $"Model directory '{directory}' has neither '{IndexFileName}' nor '{SingleFileName}'.", singlePath);
        SafeTensorsFile file = SafeTensorsFile.Open(singlePath);
        return new ShardedSafeTensors(directory, [file], file.Tensors.Keys.ToDictionary(name => name, _ => file, StringComparer.Ordinal));
    }

    public bool Contains(string name) => _fileOfTensor.ContainsKey(name);

    /// <summary>The file holding a tensor; throws <see cref="KeyNotFoundException"/> naming the directory when absent.</summary>
    public SafeTensorsFile FileOf(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _fileOfTensor.TryGetValue(name, out SafeTensorsFile? file)
            ? file
            : throw new KeyNotFoundException($"Tensor '{name}' is not among the {Tensors.Count} weights in '{Directory}'.");
    }

    public torch.Tensor ReadTensor(string name) => FileOf(name).ReadTensor(name);

    public void ReadBytes(string name, Span<byte> destination) => FileOf(name).ReadBytes(name, destination);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (SafeTensorsFile file in _files) file.Dispose();
    }

    private static ShardedSafeTensors OpenIndexed(string directory, string indexPath)
    {
        IReadOnlyList<KeyValuePair<string, string>> weightMap = ReadWeightMap(indexPath);
        var shards = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        var files = new List<SafeTensorsFile>();
        try
        {
            var fileOfTensor = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
            foreach (var (tensor, shardName) in weightMap)
            {
                if (!shards.TryGetValue(shardName, out SafeTensorsFile? shard))
                {
                    string shardPath = Path.Combine(directory, shardName);
                    if (!File.Exists(shardPath))
                        throw new FileNotFoundException(
                            $"Shard '{shardName}' listed in '{indexPath}' (for tensor '{tensor}') does not exist.", shardPath);
                    shard = SafeTensorsFile.Open(shardPath);
                    shards.Add(shardName, shard);
                    files.Add(shard);
                }
                if (!shard.Contains(tensor))
                    throw new SafeTensorsFormatException(indexPath, tensor,
                        $"the weight_map places this tensor in shard '{shardName}', but that shard does not contain it.");
                fileOfTensor.Add(tensor, shard);
            }
            return new ShardedSafeTensors(directory, files, fileOfTensor);
        }
        catch
        {
            foreach (SafeTensorsFile file in files) file.Dispose();
            throw;
        }
    }

    /// <summary>Reads "weight_map" as (tensor, shard file name) pairs, rejecting anything but plain file names in the directory.</summary>
    private static List<KeyValuePair<string, string>> ReadWeightMap(string indexPath)
    {
        JsonDocument document;
        try
        {
            // File.ReadAllText drops a UTF-8 byte-order mark, which some editors and tools write.
            document = JsonDocument.Parse(File.ReadAllText(indexPath));
        }
        catch (JsonException error)
        {
            throw new SafeTensorsFormatException(indexPath, null, $"the index is not valid JSON ({error.Message.ReplaceLineEndings(" ")})");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("weight_map", out JsonElement map)
                || map.ValueKind != JsonValueKind.Object)
                throw new SafeTensorsFormatException(indexPath, null, "the index has no 'weight_map' object.");

            var entries = new List<KeyValuePair<string, string>>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty entry in map.EnumerateObject())
            {
                if (!seen.Add(entry.Name))
                    throw new SafeTensorsFormatException(indexPath, entry.Name, "the weight_map lists this tensor twice.");
                if (entry.Value.ValueKind != JsonValueKind.String)
                    throw new SafeTensorsFormatException(indexPath, entry.Name,
                        $"the weight_map value must be a shard file name, found {entry.Value.GetRawText()}.");
                string shardName = entry.Value.GetString()!;
                // Shards live beside the index; a path here could make us open files outside the model directory.
                if (shardName.Length == 0 || shardName != Path.GetFileName(shardName) || shardName is "." or "..")
                    throw new SafeTensorsFormatException(indexPath, entry.Name,
                        $"the weight_map shard '{shardName}' is not a plain file name in the model directory.");
                entries.Add(new KeyValuePair<string, string>(entry.Name, shardName));
            }
            return entries;
        }
    }
}
