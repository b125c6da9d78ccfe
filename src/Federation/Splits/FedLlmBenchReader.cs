using System.Text.Json;

namespace FedLlm.Federation.Splits;

/// <summary>
/// Streams FedLLM-Bench client files: one JSON object mapping client id → array of that client's records, where key
/// order gives the client index (e.g. <c>chatbotPA_747c_10k.json</c>). Only one record is materialised at a time, so
/// files larger than memory work; records reach the caller through a callback.
/// </summary>
public static class FedLlmBenchReader
{
    private const int InitialBufferSize = 64 * 1024;

    /// <summary>Reads the file; <paramref name="onRecord"/> (optional) sees every record in file order.</summary>
    public static FedLlmBenchIndex Read(Stream utf8Json, Action<FedLlmBenchRecord>? onRecord = null, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        var parser = new Parser(onRecord, sourceName ?? "FedLLM-Bench file");
        var buffer = new byte[InitialBufferSize];
        int filled = 0;
        while (true)
        {
            (buffer, filled) = Compact(buffer, filled, parser);
            int read = utf8Json.Read(buffer, filled, buffer.Length - filled);
            filled += read;
            parser.Feed(buffer.AsSpan(0, filled), isFinalBlock: read == 0);
            if (read == 0)
            {
                return parser.Finish();
            }
        }
    }

    public static async Task<FedLlmBenchIndex> ReadAsync(
        Stream utf8Json, Action<FedLlmBenchRecord>? onRecord = null, string? sourceName = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        var parser = new Parser(onRecord, sourceName ?? "FedLLM-Bench file");
        var buffer = new byte[InitialBufferSize];
        int filled = 0;
        while (true)
        {
            (buffer, filled) = Compact(buffer, filled, parser);
            int read = await utf8Json.ReadAsync(buffer.AsMemory(filled, buffer.Length - filled), cancellationToken).ConfigureAwait(false);
            filled += read;
            parser.Feed(buffer.AsSpan(0, filled), isFinalBlock: read == 0);
            if (read == 0)
            {
                return parser.Finish();
            }
        }
    }

    public static FedLlmBenchIndex ReadFile(string path, Action<FedLlmBenchRecord>? onRecord = null)
    {
        using FileStream file = File.OpenRead(path);
        return Read(file, onRecord, path);
    }

    /// <summary>All records grouped by client (cloned elements); convenient for small files and tests.</summary>
    public static (FedLlmBenchIndex Index, IReadOnlyList<IReadOnlyList<JsonElement>> Records) ReadAll(Stream utf8Json, string? sourceName = null)
    {
        var records = new List<List<JsonElement>>();
        FedLlmBenchIndex index = Read(
            utf8Json,
            r =>
            {
                while (records.Count <= r.ClientIndex)
                {
                    records.Add([]);
                }
                records[r.ClientIndex].Add(r.Record.Clone());
            },
            sourceName);
        while (records.Count < index.Clients.Count)
        {
            records.Add([]);
        }
        return (index, records);
    }

    /// <summary>Keeps unparsed bytes at the front of the buffer; grows it when one value does not fit.</summary>
    private static (byte[] Buffer, int Filled) Compact(byte[] buffer, int filled, Parser parser)
    {
        int consumed = parser.TakeConsumed();
        int remaining = filled - consumed;
        if (consumed > 0)
        {
            Buffer.BlockCopy(buffer, consumed, buffer, 0, remaining);
        }
        if (remaining == buffer.Length)
        {
            Array.Resize(ref buffer, checked(buffer.Length * 2));
        }
        return (buffer, remaining);
    }

    private enum Phase
    {
        ExpectRoot,
        ExpectClientOrEnd,
        ExpectArray,
        InArray,
        Done,
    }

    /// <summary>The chunk-by-chunk state machine; Utf8JsonReader is a ref struct, so its state is carried between chunks.</summary>
    private sealed class Parser(Action<FedLlmBenchRecord>? onRecord, string source)
    {
        private readonly List<FedLlmBenchClient> _clients = [];
        private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
        private JsonReaderState _state;
        private Phase _phase = Phase.ExpectRoot;
        private int _consumed;
        private string _clientId = "";
        private int _clientStart;
        private int _clientCount;
        private int _recordCount;
        private long _bytesBefore;

        public int TakeConsumed()
        {
            int consumed = _consumed;
            _bytesBefore += consumed;
            _consumed = 0;
            return consumed;
        }

        /// <summary>Parses as far as the data allows; an incomplete trailing value waits for the next chunk.</summary>
        public void Feed(ReadOnlySpan<byte> data, bool isFinalBlock)
        {
            try
            {
                FeedCore(data, isFinalBlock);
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException(
                    $"{source}: invalid JSON at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1} of that line: {ex.Message}", ex);
            }
        }

        private void FeedCore(ReadOnlySpan<byte> data, bool isFinalBlock)
        {
            var reader = new Utf8JsonReader(data, isFinalBlock, _state);
            while (true)
            {
                JsonReaderState stateBefore = reader.CurrentState;
                long positionBefore = reader.BytesConsumed;
                if (!reader.Read())
                {
                    break;
                }
                if (_phase == Phase.Done)
                {
                    throw Error($"unexpected {reader.TokenType} after the top-level object", positionBefore);
                }
                if (_phase == Phase.InArray && reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    Utf8JsonReader probe = reader;
                    if (!probe.TrySkip())
                    {
                        // The record is not complete in this chunk: rewind to its start and wait for more bytes.
                        _state = stateBefore;
                        _consumed = (int)positionBefore;
                        return;
                    }
                }
                Handle(ref reader, positionBefore);
            }
            _state = reader.CurrentState;
            _consumed = (int)reader.BytesConsumed;
        }

        public FedLlmBenchIndex Finish()
        {
            if (_phase != Phase.Done)
            {
                throw Error(_phase == Phase.ExpectRoot ? "the file is empty" : "the file ends before the top-level object is closed", _bytesBefore + _consumed);
            }
            return new FedLlmBenchIndex(_clients);
        }

        private void Handle(ref Utf8JsonReader reader, long position)
        {
            switch (_phase)
            {
                case Phase.ExpectRoot:
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        throw Error($"expected a JSON object mapping client id to an array of records, found {reader.TokenType}", position);
                    }
                    _phase = Phase.ExpectClientOrEnd;
                    break;
                case Phase.ExpectClientOrEnd:
                    if (reader.TokenType == JsonTokenType.EndObject)
                    {
                        _phase = Phase.Done;
                        break;
                    }
                    _clientId = reader.GetString()!;
                    if (!_ids.Add(_clientId))
                    {
                        throw Error($"client id '{_clientId}' occurs twice", position);
                    }
                    _phase = Phase.ExpectArray;
                    break;
                case Phase.ExpectArray:
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        throw Error($"client '{_clientId}' (index {_clients.Count}) maps to a {reader.TokenType}, expected an array of records", position);
                    }
                    _clientStart = _recordCount;
                    _clientCount = 0;
                    _phase = Phase.InArray;
                    break;
                case Phase.InArray:
                    if (reader.TokenType == JsonTokenType.EndArray)
                    {
                        _clients.Add(new FedLlmBenchClient(_clients.Count, _clientId, _clientStart, _clientCount));
                        _phase = Phase.ExpectClientOrEnd;
                        break;
                    }
                    using (JsonDocument document = JsonDocument.ParseValue(ref reader))
                    {
                        onRecord?.Invoke(new FedLlmBenchRecord(_clients.Count, _clientId, _clientCount, _recordCount, document.RootElement));
                    }
                    _clientCount++;
                    _recordCount++;
                    break;
            }
        }

        private InvalidDataException Error(string problem, long positionInChunk) =>
            new($"{source}: {problem} (near byte {_bytesBefore + positionInChunk}).");
    }
}
