using System.Text.Encodings.Web;
using System.Text.Json;
using FedLlm.Foundation.Storage;

namespace FedLlm.Synthesis.Output;

/// <summary>
/// Writes generated rows as JSON Lines that FedLlm's dataset readers take as {instruction, response} records, with the
/// tags as extra fields (<c>origin</c>, <c>source</c>, <c>category</c>, <c>client_id</c>). The file is written through
/// <see cref="AtomicFile"/>: a failure part-way leaves the previous file (or none), never half a dataset.
/// </summary>
public static class SyntheticDatasetWriter
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <returns>The number of rows written.</returns>
    public static int Write(string path, IEnumerable<SyntheticExample> rows)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(rows);
        using var file = AtomicFile.Create(path);
        int count = 0;
        foreach (SyntheticExample row in rows)
        {
            if (string.IsNullOrWhiteSpace(row.Instruction) || string.IsNullOrWhiteSpace(row.Response))
                throw new ArgumentException($"row {count} has an empty instruction or response; parse and filter before writing", nameof(rows));
            using (var json = new Utf8JsonWriter(file.Stream, Options))
            {
                json.WriteStartObject();
                json.WriteString("instruction", row.Instruction);
                json.WriteString("response", row.Response);
                if (row.Origin is not null) json.WriteString("origin", row.Origin);
                if (row.Source is not null) json.WriteString("source", row.Source);
                if (row.Category is not null) json.WriteString("category", row.Category);
                if (row.ClientId is not null) json.WriteString("client_id", row.ClientId);
                json.WriteEndObject();
            }
            file.Stream.WriteByte((byte)'\n');
            count++;
        }
        file.Commit();
        return count;
    }
}
