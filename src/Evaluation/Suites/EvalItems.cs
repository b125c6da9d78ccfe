using System.Globalization;
using System.Text.Json;
using FedLlm.Data.Readers;

namespace FedLlm.Evaluation.Suites;

/// <summary>Reads a task's dataset (streamed, through the one dataset reader) and renders each record into an <see cref="EvalItem"/>.</summary>
public static class EvalItems
{
    /// <exception cref="ArgumentException">A record lacks a field the task needs, or holds a label or answer the task does not know; the message names task and record.</exception>
    public static IReadOnlyList<EvalItem> Load(EvalTask task)
    {
        var metric = MetricKinds.Names.Parse(task.Metric, $"{task.Name}.metric");
        var keep = task.KeysFrom is null ? null : ObjectKeys(task.KeysFrom);
        var renderer = new Renderer(task, metric);
        var items = new List<EvalItem>();
        foreach (var record in DatasetReader.Open(task.Data))
        {
            if (task.Limit is int limit && items.Count >= limit) break;
            if (!record.IsValid) throw new ArgumentException($"task {task.Name}: {record.Location}: {record.Error}");
            if (keep is not null && (record.Key is null || !keep.Contains(record.Key))) continue;
            try
            {
                items.Add(renderer.Render(record));
            }
            catch (Exception e) when (e is KeyNotFoundException or FormatException)
            {
                throw new ArgumentException($"task {task.Name}: {record.Location}: {e.Message}", e);
            }
        }
        if (items.Count == 0) throw new ArgumentException($"task {task.Name}: {task.Data} yields no examples" + (keep is null ? "" : $" whose key is in {task.KeysFrom}"));
        return items;
    }

    /// <summary>The keys of a JSON object file (e.g. ids → label), streamed.</summary>
    private static HashSet<string> ObjectKeys(string path)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in DatasetReader.Open(path, FileFormat.Json))
        {
            if (record.Key is null) throw new ArgumentException($"keys_from: {path} must be one JSON object (its keys are the ids to keep)");
            keys.Add(record.Key);
        }
        return keys;
    }

    private sealed class Renderer(EvalTask task, MetricKind metric)
    {
        private readonly FieldTemplate? _system = task.System is null ? null : new FieldTemplate(task.System);
        private readonly FieldTemplate? _prompt = task.Prompt is null ? null : new FieldTemplate(task.Prompt);
        private readonly FieldTemplate? _text = task.Text is null ? null : new FieldTemplate(task.Text);
        private readonly FieldTemplate? _target = task.Target is null ? null : new FieldTemplate(task.Target);
        private readonly FieldTemplate _labelText = new(task.LabelText);
        private readonly FieldTemplate _choiceText = new(task.ChoiceText);

        public EvalItem Render(RawRecord record)
        {
            var value = record.Value;
            var item = new EvalItem(record.Key ?? record.Index.ToString(CultureInfo.InvariantCulture), record.Location)
            {
                System = _system?.Render(value),
                Prompt = _prompt?.Render(value),
                Text = _text?.Render(value),
                Target = _target?.Render(value),
            };
            return metric switch
            {
                MetricKind.Classification => item with
                {
                    Label = GoldLabel(value),
                    Continuations = [.. task.Labels.Select(l => _labelText.Render(value, new Dictionary<string, string> { ["label"] = l }))],
                },
                MetricKind.MultipleChoice => WithChoices(item, value),
                _ => item,
            };
        }

        private string GoldLabel(JsonElement record)
        {
            var element = FieldTemplate.Find(record, task.Label!) ?? throw new KeyNotFoundException($"the record has no field '{task.Label}' (label)");
            string raw = FieldTemplate.Format(element, task.Label!);
            string label = task.LabelValues.TryGetValue(raw, out string? mapped) ? mapped : raw;
            if (!task.Labels.Contains(label))
                throw new FormatException($"label '{raw}' is not one of the task's labels ({string.Join(", ", task.Labels)}); map it with label_values");
            return label;
        }

        private EvalItem WithChoices(EvalItem item, JsonElement record)
        {
            var options = FieldTemplate.Items(FieldTemplate.Find(record, task.Choices!) ?? throw new KeyNotFoundException($"the record has no field '{task.Choices}' (choices)"), task.Choices!);
            if (options.Count < 2) throw new FormatException($"field '{task.Choices}' holds {options.Count} option(s); multiple choice needs at least two");
            var answer = FieldTemplate.Find(record, task.Answer!) ?? throw new KeyNotFoundException($"the record has no field '{task.Answer}' (answer)");
            var continuations = options.Select((text, i) => _choiceText.Render(record, new Dictionary<string, string>
            {
                ["choice"] = text,
                ["letter"] = FieldTemplate.Letter(i),
            })).ToList();
            return item with { Continuations = continuations, AnswerIndex = AnswerIndex(answer, options) };
        }

        /// <summary>A 0-based index, a letter A, B, … or the option's own text.</summary>
        private int AnswerIndex(JsonElement answer, IReadOnlyList<string> options)
        {
            if (answer.ValueKind == JsonValueKind.Number && answer.TryGetInt32(out int index) && index >= 0 && index < options.Count) return index;
            string text = FieldTemplate.Format(answer, task.Answer!).Trim();
            if (text.Length == 1 && char.IsAsciiLetterUpper(text[0]) && text[0] - 'A' < options.Count) return text[0] - 'A';
            int byText = options.ToList().IndexOf(text);
            if (byText >= 0) return byText;
            throw new FormatException($"answer '{text}' is neither an option index (0–{options.Count - 1}), a letter (A–{FieldTemplate.Letter(options.Count - 1)}) nor an option's text");
        }
    }
}
