using Parquet;
using Parquet.Serialization;

namespace FedLlm.Data.Readers;

/// <summary>
/// Parquet via Parquet.Net's untyped deserialiser, one row group at a time (Hugging Face shards hold a few
/// thousand rows per group), so memory is bounded by the largest row group rather than the file.
/// Nested columns (list of struct, e.g. <c>messages: [{role, content}]</c>) come out as JSON arrays of objects.
/// </summary>
internal static class ParquetFileReader
{
    public static IEnumerable<RawRecord> Read(string path)
    {
        using var stream = File.OpenRead(path);
        int rowGroupCount = Open(stream, path);
        long index = 0;
        for (int group = 0; group < rowGroupCount; group++)
        {
            stream.Position = 0;
            IList<Dictionary<string, object>> rows;
            try
            {
                // Parquet.Net is async-only; these readers are synchronous iterators used off any synchronisation context.
                rows = ParquetSerializer.DeserializeUntypedAsync(stream, new ParquetOptions(), group).GetAwaiter().GetResult().Data;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                throw new DataFormatException($"{path}: cannot read Parquet row group {group}: {ex.Message}", ex);
            }
            foreach (var row in rows) yield return new RawRecord(path, ++index, null, JsonValues.FromObject(row));
        }
    }

    private static int Open(Stream stream, string path)
    {
        try
        {
            var reader = ParquetReader.CreateAsync(stream, leaveStreamOpen: true).GetAwaiter().GetResult();
            try { return reader.RowGroupCount; }
            finally { reader.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new DataFormatException($"{path}: not a readable Parquet file: {ex.Message}", ex);
        }
    }
}
