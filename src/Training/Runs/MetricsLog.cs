using System.Text.Json.Nodes;

namespace FedLlm.Training.Runs;

/// <summary>Appends one JSON object per line and flushes it, so a killed run keeps every line it wrote.</summary>
public sealed class MetricsLog : IDisposable
{
    private readonly StreamWriter _writer;

    public MetricsLog(string path)
    {
        Path = path;
        _writer = new StreamWriter(path, append: false) { AutoFlush = true };
    }

    public string Path { get; }

    public void Write(JsonObject line) => _writer.WriteLine(line.ToJsonString());

    /// <summary>JSON has no NaN or infinity: such values are written as null.</summary>
    public static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

    public void Dispose() => _writer.Dispose();
}
