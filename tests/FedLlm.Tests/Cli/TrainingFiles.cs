using System.Text.Json.Nodes;
using FedLlm.Models.SafeTensors;

namespace FedLlm.Tests.Cli;

/// <summary>Small generated datasets and configs for `fedllm train` tests (no shared data needed).</summary>
public static class TrainingFiles
{
    private static readonly string[] Words = ["cat", "dog", "sun", "tree", "fish", "bird", "moon", "rock", "star", "leaf"];

    /// <summary>Alpaca records "reverse: a b c" → "c b a"; lines listed in <paramref name="badLines"/> (1-based) are malformed JSON.</summary>
    public static string WriteReverseTask(string path, int records, params int[] badLines)
    {
        var random = new Random(11);
        var lines = new List<string>();
        for (int i = 0; i < records; i++)
        {
            var words = Enumerable.Range(0, 3).Select(_ => Words[random.Next(Words.Length)]).ToArray();
            lines.Add(new JsonObject
            {
                ["instruction"] = "reverse: " + string.Join(' ', words),
                ["input"] = "",
                ["output"] = string.Join(' ', words.Reverse()),
            }.ToJsonString());
        }
        foreach (int line in badLines.Order()) lines.Insert(line - 1, "{\"instruction\": \"broken");
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>Preference records: "say w" prefers "yes w" over "no w".</summary>
    public static string WritePreferences(string path, int records)
    {
        File.WriteAllLines(path, Enumerable.Range(0, records).Select(i => new JsonObject
        {
            ["prompt"] = "say " + Words[i % Words.Length],
            ["chosen"] = "yes " + Words[i % Words.Length],
            ["rejected"] = "no " + Words[i % Words.Length],
        }.ToJsonString()));
        return path;
    }

    /// <summary>A short run config whose run folder is <paramref name="output"/>; extra YAML lines are appended at the top level.</summary>
    public static string WriteConfig(string path, string model, string data, string output, int steps = 8, params string[] extra)
    {
        File.WriteAllText(path, $"""
            name: {Path.GetFileName(output)}
            output_directory: {Path.GetDirectoryName(output)}
            seed: 3
            model:
              path: {model}
            data:
              path: {data}
              held_out_fraction: 0.2
            lora:
              rank: 4
              alpha: 8
            training:
              learning_rate: 0.01
              batch_size: 4
              max_steps: {steps}
              max_sequence_length: 48
            evaluation:
              every: 4

            """ + string.Join('\n', extra) + "\n");
        return path;
    }

    public static JsonObject[] MetricLines(string outputDirectory, string type) =>
        File.ReadAllLines(Path.Combine(outputDirectory, "metrics.jsonl"))
            .Select(l => JsonNode.Parse(l)!.AsObject())
            .Where(o => o["type"]!.GetValue<string>() == type)
            .ToArray();

    /// <summary>Where <c>fedllm train</c> writes the PEFT adapter inside its run folder.</summary>
    public static string Adapter(string runFolder) => Path.Combine(runFolder, "adapter");

    public static IReadOnlyCollection<SafeTensorDType> AdapterDTypes(string runFolder)
    {
        using var file = SafeTensorsFile.Open(Path.Combine(Adapter(runFolder), "adapter_model.safetensors"));
        return file.Tensors.Values.Select(t => t.DType).Distinct().ToList();
    }
}
