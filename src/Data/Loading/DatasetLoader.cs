using FedLlm.Data.Formats;
using FedLlm.Data.Model;
using FedLlm.Data.Readers;

namespace FedLlm.Data.Loading;

/// <summary>
/// Reads a dataset file and converts its records into examples, applying the bad-row policy. FedLLM-Bench files are
/// read here like any other: a <c>{client id: [records]}</c> file gives each record its key as client id, and a
/// <c>local_&lt;id&gt;.json</c> baseline file gives every record the id in its name (a record's own client column wins).
/// </summary>
public static partial class DatasetLoader
{
    /// <summary>Loads every example, which must all be of kind <typeparamref name="T"/> (use <see cref="Example"/> for any).</summary>
    public static LoadedDataset<T> Load<T>(string path, DatasetLoadOptions? options = null) where T : Example
    {
        var report = new LoadReport(path);
        var examples = new List<T>();
        foreach (var example in Stream(path, options, report))
        {
            examples.Add(example as T ?? throw new DataFormatException(
                $"{example.Metadata.Source}: the file holds {KindName(example.GetType())} examples (format {report.Format}), " +
                $"but {KindName(typeof(T))} examples were asked for."));
        }
        return new LoadedDataset<T>(examples, report);
    }

    /// <summary>Streams examples; <paramref name="report"/> is updated as they are enumerated.</summary>
    public static IEnumerable<Example> Stream(string path, DatasetLoadOptions? options, LoadReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        options ??= DatasetLoadOptions.Default;
        RecordConverter? converter = null;
        string? fileClient = LocalFileClient(path);
        foreach (var read in DatasetReader.Open(path, options.FileFormat))
        {
            // A FedLLM-Bench local baseline file holds one client's records: its id comes from the file name.
            var record = fileClient is not null && read.Key is null && read.IsValid ? read with { Key = fileClient } : read;
            if (record.IsValid) converter ??= CreateConverter(record, options, report);
            Example? example = null;
            string? problem = record.Error;
            if (converter is not null && problem is null)
            {
                try { example = converter.Convert(record, options.ObjectKeyIsClientId); }
                catch (RecordConversionException ex) { problem = ex.Message; }
                catch (ArgumentException ex) { problem = ex.Message; }
            }
            if (example is null)
            {
                string reason = $"{record.Location}: {problem}";
                if (options.BadRows == BadRowPolicy.Fail) throw new DataFormatException(reason);
                report.CountSkipped(reason);
                continue;
            }
            report.CountKept();
            yield return example;
        }
    }

    /// <summary>The client id of a FedLLM-Bench local baseline file, <c>local_&lt;id&gt;.json</c> (or .jsonl); null for any other name.</summary>
    public static string? LocalFileClient(string path) =>
        LocalFile().Match(Path.GetFileName(path)) is { Success: true } match ? match.Groups[1].Value : null;

    [System.Text.RegularExpressions.GeneratedRegex(@"^local_(.+)\.jsonl?$")]
    private static partial System.Text.RegularExpressions.Regex LocalFile();

    private static RecordConverter CreateConverter(RawRecord first, DatasetLoadOptions options, LoadReport report)
    {
        var format = options.Mapping?.MapsContent == true ? RecordFormat.Mapped
            : options.RecordFormat != RecordFormat.Auto ? options.RecordFormat
            : FormatDetector.Detect(first.Value, first.Location);
        report.Format = format;
        return new RecordConverter(format, options.Mapping, options.Conversion);
    }

    private static string KindName(Type type) =>
        type == typeof(InstructionExample) ? "instruction"
        : type == typeof(PreferenceExample) ? "preference"
        : type == typeof(TextExample) ? "text"
        : type.Name;
}
