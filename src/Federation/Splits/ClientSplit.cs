using System.Globalization;
using System.Text.Json;

namespace FedLlm.Federation.Splits;

/// <summary>
/// An assignment of dataset records (indices 0..M−1) to clients. Client lists are sorted and disjoint. Saved with every
/// run as JSON so the exact partition is reproducible even if a splitter's algorithm changes later.
/// </summary>
public sealed class ClientSplit
{
    public const string JsonFormat = "fedllm.client-split";
    public const int JsonVersion = 1;

    private static readonly IReadOnlyDictionary<string, string> NoParameters = new Dictionary<string, string>();

    private readonly int[][] _clients;

    /// <param name="method">How the split was made (see <see cref="SplitMethods"/>).</param>
    /// <param name="recordCount">M, the number of records in the dataset.</param>
    /// <param name="clients">Record indices per client; each list is copied and sorted.</param>
    /// <param name="seed">The seed the splitter used, if random.</param>
    /// <param name="clientNames">Optional names (user id, language, FedLLM-Bench key), one per client, distinct.</param>
    /// <param name="parameters">Splitter parameters (e.g. alpha), formatted invariantly, for the record.</param>
    public ClientSplit(
        string method,
        int recordCount,
        IEnumerable<IEnumerable<int>> clients,
        ulong? seed = null,
        IReadOnlyList<string>? clientNames = null,
        IReadOnlyDictionary<string, string>? parameters = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(method);
        ArgumentOutOfRangeException.ThrowIfNegative(recordCount);
        ArgumentNullException.ThrowIfNull(clients);
        Method = method;
        RecordCount = recordCount;
        Seed = seed;
        Parameters = parameters ?? NoParameters;
        _clients = [.. clients.Select(c => c.Order().ToArray())];
        var owner = new int[recordCount];
        Array.Fill(owner, -1);
        for (int client = 0; client < _clients.Length; client++)
        {
            foreach (int record in _clients[client])
            {
                if (record < 0 || record >= recordCount)
                {
                    throw new ArgumentException($"Client {client} lists record {record}, outside [0, {recordCount}).", nameof(clients));
                }
                if (owner[record] != -1)
                {
                    throw new ArgumentException($"Record {record} is assigned to both client {owner[record]} and client {client}.", nameof(clients));
                }
                owner[record] = client;
            }
            AssignedCount += _clients[client].Length;
        }
        if (clientNames is not null)
        {
            if (clientNames.Count != _clients.Length)
            {
                throw new ArgumentException($"{clientNames.Count} client names for {_clients.Length} clients.", nameof(clientNames));
            }
            var distinct = new HashSet<string>(StringComparer.Ordinal);
            foreach (string name in clientNames)
            {
                if (!distinct.Add(name))
                {
                    throw new ArgumentException($"Client name '{name}' occurs twice.", nameof(clientNames));
                }
            }
            ClientNames = [.. clientNames];
        }
    }

    public string Method { get; }
    public int RecordCount { get; }
    public ulong? Seed { get; }
    public IReadOnlyList<string>? ClientNames { get; }
    public IReadOnlyDictionary<string, string> Parameters { get; }

    public int ClientCount => _clients.Length;

    /// <summary>Records assigned to some client; equals <see cref="RecordCount"/> for every built-in splitter.</summary>
    public int AssignedCount { get; }

    public IReadOnlyList<IReadOnlyList<int>> Clients => _clients;

    public IReadOnlyList<int> RecordsOf(int client) => _clients[client];

    public int[] Sizes() => [.. _clients.Select(c => c.Length)];

    /// <summary>The client name, or the index as text when the split has no names.</summary>
    public string NameOf(int client) => ClientNames?[client] ?? client.ToString(CultureInfo.InvariantCulture);

    public void WriteJson(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new Utf8JsonWriter(stream);
        writer.WriteStartObject();
        writer.WriteString("format", JsonFormat);
        writer.WriteNumber("version", JsonVersion);
        writer.WriteString("method", Method);
        if (Seed is ulong seed)
        {
            writer.WriteNumber("seed", seed);
        }
        writer.WriteNumber("recordCount", RecordCount);
        writer.WriteStartObject("parameters");
        foreach ((string key, string value) in Parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            writer.WriteString(key, value);
        }
        writer.WriteEndObject();
        if (ClientNames is not null)
        {
            writer.WriteStartArray("clientNames");
            foreach (string name in ClientNames)
            {
                writer.WriteStringValue(name);
            }
            writer.WriteEndArray();
        }
        writer.WriteStartArray("clients");
        foreach (int[] records in _clients)
        {
            writer.WriteStartArray();
            foreach (int record in records)
            {
                writer.WriteNumberValue(record);
            }
            writer.WriteEndArray();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        WriteJson(buffer);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using FileStream file = File.Create(path);
        WriteJson(file);
    }

    public static ClientSplit Load(string path)
    {
        using FileStream file = File.OpenRead(path);
        try
        {
            return ReadJson(file);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{path}: {ex.Message}", ex);
        }
    }

    public static ClientSplit FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var buffer = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));
        return ReadJson(buffer);
    }

    public static ClientSplit ReadJson(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(stream);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Client split is not valid JSON: {ex.Message}", ex);
        }
        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || Optional(root, "format")?.GetString() != JsonFormat)
            {
                throw new InvalidDataException($"Not a client split: expected an object with \"format\": \"{JsonFormat}\".");
            }
            int version = Required(root, "version").GetInt32();
            if (version != JsonVersion)
            {
                throw new InvalidDataException($"Unsupported client split version {version}; this build reads version {JsonVersion}.");
            }
            try
            {
                string method = Required(root, "method").GetString() ?? throw new InvalidDataException("Client split 'method' is null.");
                ulong? seed = Optional(root, "seed")?.GetUInt64();
                int recordCount = Required(root, "recordCount").GetInt32();
                var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
                if (Optional(root, "parameters") is JsonElement parameterObject)
                {
                    foreach (JsonProperty property in parameterObject.EnumerateObject())
                    {
                        parameters[property.Name] = property.Value.GetString() ?? "";
                    }
                }
                List<string>? names = Optional(root, "clientNames")?.EnumerateArray().Select(e => e.GetString() ?? "").ToList();
                var clients = Required(root, "clients").EnumerateArray()
                    .Select(client => client.EnumerateArray().Select(r => r.GetInt32()).ToArray())
                    .ToList();
                return new ClientSplit(method, recordCount, clients, seed, names, parameters);
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException or ArgumentException)
            {
                throw new InvalidDataException($"Invalid client split: {ex.Message}", ex);
            }
        }
    }

    private static JsonElement? Optional(JsonElement root, string name) =>
        root.TryGetProperty(name, out JsonElement value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static JsonElement Required(JsonElement root, string name) =>
        Optional(root, name) ?? throw new InvalidDataException($"Client split lacks the '{name}' property.");
}
