using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using FedLlm.Cli.Output;
using FedLlm.Evaluation.Perplexity;
using FedLlm.Models;
using FedLlm.Training.Runs;

namespace FedLlm.Cli.Commands;

/// <summary><c>fedllm score --model DIR --data FILE</c>: mean token loss and perplexity per record and overall.</summary>
public static class ScoreCommand
{
    public static Command Build()
    {
        var command = new Command("score", "Mean token loss and perplexity of a model on a text or JSONL file");
        var model = ModelOptions.Model();
        var data = new Option<FileInfo>("--data", "-d") { Description = "Text file (one record per non-empty line) or JSONL with a \"text\" field", Required = true };
        var format = new Option<string?>("--format") { Description = "text or jsonl (default: from the file extension)" }.AcceptOnlyFromAmong("text", "jsonl");
        var json = new Option<bool>("--json") { Description = "Print machine-readable JSON to stdout" };
        var limit = new Option<int?>("--limit") { Description = "Score only the first N records" };
        var window = new Option<int?>("--window") { Description = "Tokens per scoring window (default: the model's context)" };
        var dtype = ModelOptions.DType();
        foreach (var option in new Option[] { model, data, format, json, limit, window, dtype }) command.Add(option);

        command.SetAction(parse =>
        {
            var file = parse.GetRequiredValue(data);
            var records = ScoreRecords.Read(file.FullName, parse.GetValue(format), parse.GetValue(limit)).ToList();
            using var loaded = PretrainedModel.Load(parse.GetRequiredValue(model).FullName, ModelOptions.ParseDType(parse.GetValue(dtype)));
            var scorer = new SequenceScorer(loaded, parse.GetValue(window));

            var scores = ConsoleOutput.WithProgress($"Scoring {records.Count} records", records.Count, progress =>
            {
                var results = new List<(int Line, SequenceScore Score)>();
                foreach (var (line, text) in records)
                {
                    results.Add((line, scorer.Score(text)));
                    progress.Report(results.Count);
                }
                return results;
            });

            int tokens = scores.Sum(s => s.Score.Tokens);
            var overall = new SequenceScore(tokens, scores.Sum(s => s.Score.TotalLoss));
            if (parse.GetValue(json))
            {
                var output = new JsonObject
                {
                    ["model"] = loaded.Directory,
                    ["data"] = file.FullName,
                    ["records"] = new JsonArray(scores.Select(s => (JsonNode)new JsonObject
                    {
                        ["line"] = s.Line,
                        ["tokens"] = s.Score.Tokens,
                        ["mean_loss"] = MetricsLog.Number(s.Score.MeanLoss),
                        ["perplexity"] = MetricsLog.Number(s.Score.Perplexity),
                    }).ToArray()),
                    ["overall"] = new JsonObject
                    {
                        ["records"] = scores.Count,
                        ["tokens"] = tokens,
                        ["mean_loss"] = MetricsLog.Number(overall.MeanLoss),
                        ["perplexity"] = MetricsLog.Number(overall.Perplexity),
                    },
                };
                Console.Out.WriteLine(output.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                foreach (var (line, score) in scores)
                    Console.Out.WriteLine($"line {line}: {score.Tokens} tokens, loss {score.MeanLoss:F4}, perplexity {score.Perplexity:F2}");
                Console.Out.WriteLine($"overall: {scores.Count} records, {tokens} tokens, loss {overall.MeanLoss:F4}, perplexity {overall.Perplexity:F2}");
            }
            return 0;
        });
        return command;
    }
}
