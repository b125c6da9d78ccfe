using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FedLlm.Cli.Output;
using FedLlm.Foundation.Storage;
using Spectre.Console;

namespace FedLlm.Cli.Experiments;

/// <summary>
/// An experiment's comparison table: one row per arm, the same measured columns for each, notes under it. Printed to
/// stdout and written as <c>results.md</c> and <c>results.json</c> (atomically) into the experiment's folder.
/// </summary>
public sealed class ExperimentTable(string title, params string[] columns)
{
    private readonly List<(string Arm, double?[] Values)> _rows = [];
    private readonly List<string> _notes = [];

    public void Add(string arm, params double?[] values)
    {
        if (values.Length != columns.Length) throw new ArgumentException($"{values.Length} values for {columns.Length} columns");
        _rows.Add((arm, values));
    }

    public void Note(string note) => _notes.Add(note);

    /// <summary>Columns that hold counts (e.g. how many prompts a rate is over): printed without decimals.</summary>
    public IReadOnlySet<string> CountColumns { get; init; } = new HashSet<string>();

    public IReadOnlyList<(string Arm, double?[] Values)> Rows => _rows;

    public void Print()
    {
        var table = ResultConsole.Table().Title(Markup.Escape(title)).AddColumn("arm");
        foreach (string column in columns) table.AddColumn(new TableColumn(Markup.Escape(column)).RightAligned());
        foreach (var (arm, values) in _rows) table.AddRow([Markup.Escape(arm), .. values.Select(FormatIn)]);
        var console = ResultConsole.Create();
        console.Write(table);
        foreach (string note in _notes) Console.Out.WriteLine(note);
    }

    /// <returns>The Markdown file's path.</returns>
    public string Write(string folder)
    {
        Directory.CreateDirectory(folder);
        var markdown = new StringBuilder().Append("## ").Append(title).Append("\n\n| arm | ").Append(string.Join(" | ", columns)).Append(" |\n|---|")
            .Append(string.Concat(columns.Select(_ => "---:|"))).Append('\n');
        foreach (var (arm, values) in _rows) markdown.Append("| ").Append(arm).Append(" | ").Append(string.Join(" | ", values.Select(FormatIn))).Append(" |\n");
        if (_notes.Count > 0) markdown.Append('\n').AppendJoin("\n", _notes.Select(n => "- " + n)).Append('\n');
        string markdownPath = Path.Combine(folder, "results.md");
        AtomicFile.Write(markdownPath, Encoding.UTF8.GetBytes(markdown.ToString()));

        var json = new JsonObject
        {
            ["title"] = title,
            ["columns"] = new JsonArray([.. columns.Select(c => (JsonNode)c)]),
            ["rows"] = new JsonArray([.. _rows.Select(r => (JsonNode)new JsonObject
            {
                ["arm"] = r.Arm,
                ["values"] = new JsonArray([.. r.Values.Select(v => v is double d && double.IsFinite(d) ? JsonValue.Create(d) : null)]),
            })]),
            ["notes"] = new JsonArray([.. _notes.Select(n => (JsonNode)n)]),
        };
        AtomicFile.Write(Path.Combine(folder, "results.json"), Encoding.UTF8.GetBytes(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true })));
        return markdownPath;
    }

    private string FormatIn(double? value, int column) =>
        CountColumns.Contains(columns[column]) && value is double d && double.IsFinite(d) ? d.ToString("0", CultureInfo.InvariantCulture) : Format(value);

    private static string Format(double? value) => value is double d && double.IsFinite(d) ? d.ToString("0.000", CultureInfo.InvariantCulture) : "–";
}
