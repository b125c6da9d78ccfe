using System.Globalization;
using System.Text.Json;

namespace FedLlm.Federation.Splits;

/// <summary>
/// Natural split: one client per distinct value of a field (user id, language, ...). Clients are numbered in order of
/// first appearance and named by the value, so the split follows the file and not a hash order.
/// </summary>
public static class NaturalSplitter
{
    /// <param name="keys">The field value of every record; a null value is reported as missing.</param>
    /// <param name="fieldName">The field's name, for error messages and the saved split.</param>
    public static ClientSplit ByKey(IReadOnlyList<string?> keys, string fieldName)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentException.ThrowIfNullOrWhiteSpace(fieldName);
        var clientOf = new Dictionary<string, int>(StringComparer.Ordinal);
        var clients = new List<List<int>>();
        var names = new List<string>();
        for (int record = 0; record < keys.Count; record++)
        {
            string key = keys[record] ?? throw new ArgumentException($"Record {record} has no value for the split field '{fieldName}'.", nameof(keys));
            if (!clientOf.TryGetValue(key, out int client))
            {
                client = clients.Count;
                clientOf[key] = client;
                clients.Add([]);
                names.Add(key);
            }
            clients[client].Add(record);
        }
        if (clients.Count == 0)
        {
            throw new ArgumentException($"No records to split by '{fieldName}'.", nameof(keys));
        }
        var parameters = new Dictionary<string, string> { ["field"] = fieldName };
        return new ClientSplit(SplitMethods.Natural, keys.Count, clients, seed: null, names, parameters);
    }

    /// <summary>Reads <paramref name="fieldName"/> from each JSON record (string, number or boolean value).</summary>
    public static ClientSplit ByField(IEnumerable<JsonElement> records, string fieldName)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentException.ThrowIfNullOrWhiteSpace(fieldName);
        var keys = new List<string?>();
        foreach (JsonElement record in records)
        {
            keys.Add(KeyOf(record, fieldName, keys.Count));
        }
        return ByKey(keys, fieldName);
    }

    /// <summary>The split key of one record; throws naming the record index and field when it is missing.</summary>
    public static string KeyOf(JsonElement record, string fieldName, int recordIndex)
    {
        if (record.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException($"Record {recordIndex} is a JSON {record.ValueKind}, not an object, so it has no field '{fieldName}'.");
        }
        if (!record.TryGetProperty(fieldName, out JsonElement value))
        {
            throw new ArgumentException($"Record {recordIndex} has no field '{fieldName}' to split by.");
        }
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.True or JsonValueKind.False => value.GetBoolean().ToString(CultureInfo.InvariantCulture).ToLowerInvariant(),
            _ => throw new ArgumentException(
                $"Record {recordIndex} has field '{fieldName}' of type {value.ValueKind}; a natural split needs a string, number or boolean."),
        };
    }
}
