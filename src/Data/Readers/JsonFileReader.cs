using System.Text.Json;

namespace FedLlm.Data.Readers;

/// <summary>
/// Streams records from a JSON file without materialising the whole document: bytes are read in chunks and a
/// <see cref="Utf8JsonReader"/> resumes across chunks, so memory holds one record (plus a chunk) at a time.
/// Accepted layouts: a top-level array of records; an object whose values are arrays of records (FedLLM-Bench,
/// key = client id); an object whose values are records (PubMedQA, key = item id).
/// </summary>
internal static class JsonFileReader
{
    private const int InitialBufferSize = 64 * 1024;

    private enum Layout { Unknown, Array, Object }

    private sealed class Cursor
    {
        public Layout Layout;
        public string? Key;
        public bool InsideKeyedArray;
        public long Index;
    }

    public static IEnumerable<RawRecord> Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        var buffer = new byte[InitialBufferSize];
        int filled = 0;
        bool endOfFile = false, firstChunk = true;
        var state = new JsonReaderState(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var cursor = new Cursor();
        var records = new List<RawRecord>();
        while (true)
        {
            while (!endOfFile && filled < buffer.Length)
            {
                int read = stream.Read(buffer, filled, buffer.Length - filled);
                if (read == 0) endOfFile = true;
                filled += read;
            }
            int start = firstChunk ? Utf8BomLength(buffer.AsSpan(0, filled)) : 0;
            firstChunk = false;
            int consumed;
            records.Clear();
            try
            {
                consumed = start + ReadChunk(buffer.AsSpan(start, filled - start), endOfFile, ref state, cursor, records, path);
            }
            catch (JsonException ex)
            {
                throw new DataFormatException($"{path}:{ex.LineNumber + 1}: invalid JSON ({ex.Message})", ex);
            }
            foreach (var record in records) yield return record;
            if (endOfFile) break;
            int leftover = filled - consumed;
            Buffer.BlockCopy(buffer, consumed, buffer, 0, leftover);
            filled = leftover;
            // One record larger than the buffer: grow, so the next pass sees the whole record.
            if (filled == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
        }
        if (cursor.Layout == Layout.Unknown) throw new DataFormatException($"{path}: the file holds no JSON value.");
    }

    /// <summary>A top-level key (a client or item id); one that is not valid text breaks the file's layout, so it is fatal.</summary>
    private static string? ReadKey(ref Utf8JsonReader reader, string path)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException e)
        {
            throw new DataFormatException($"{path}: a top-level key is not valid text ({e.Message})", e);
        }
    }

    private static int Utf8BomLength(ReadOnlySpan<byte> data) =>
        data.Length >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF ? 3 : 0;

    /// <summary>Reads complete records from <paramref name="data"/>; returns the bytes consumed (the rest is carried over).</summary>
    private static int ReadChunk(ReadOnlySpan<byte> data, bool isFinalBlock, ref JsonReaderState state, Cursor cursor,
        List<RawRecord> records, string path)
    {
        var reader = new Utf8JsonReader(data, isFinalBlock, state);
        while (true)
        {
            var stateBefore = reader.CurrentState;
            int consumedBefore = (int)reader.BytesConsumed;
            if (!reader.Read()) break;
            if (reader.CurrentDepth == 0)
            {
                cursor.Layout = reader.TokenType switch
                {
                    JsonTokenType.StartArray => Layout.Array,
                    JsonTokenType.StartObject => Layout.Object,
                    JsonTokenType.EndArray or JsonTokenType.EndObject => cursor.Layout,
                    _ => throw new DataFormatException($"{path}: the top-level JSON value must be an array or an object of records, not {reader.TokenType}."),
                };
                continue;
            }
            if (reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.CurrentDepth == 1) cursor.Key = ReadKey(ref reader, path);
                continue;
            }
            if (reader.TokenType is JsonTokenType.EndArray or JsonTokenType.EndObject)
            {
                if (reader.CurrentDepth == 1) cursor.InsideKeyedArray = false;
                continue;
            }
            bool isRecord = cursor.Layout == Layout.Array
                ? reader.CurrentDepth == 1
                : reader.CurrentDepth == 1 || (reader.CurrentDepth == 2 && cursor.InsideKeyedArray);
            if (cursor.Layout == Layout.Object && reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.StartArray)
            {
                cursor.InsideKeyedArray = true;
                continue;
            }
            if (!isRecord) continue;
            var probe = reader;
            if (!probe.TrySkip())
            {
                // The record continues in the next chunk: rewind to its first byte and ask for more data.
                state = stateBefore;
                return consumedBefore;
            }
            using var document = JsonDocument.ParseValue(ref reader);
            cursor.Index++;
            records.Add(UnreadableJsonText.Find(document.RootElement) is { } problem
                ? RawRecord.Broken(path, cursor.Index, null, problem)
                : new RawRecord(path, cursor.Index, null, document.RootElement.Clone(), cursor.Layout == Layout.Object ? cursor.Key : null));
        }
        state = reader.CurrentState;
        return (int)reader.BytesConsumed;
    }
}
