using System.Text;
using System.Text.Json;
using FedLlm.Synthesis.Prompts;

namespace FedLlm.Synthesis.Pipelines;

/// <summary>Checks the prompt templates a pipeline's config names, before any generator is loaded.</summary>
public static class Templates
{
    /// <summary>One problem per template that is missing or lacks a placeholder the pipeline fills.</summary>
    internal static IEnumerable<string> Problems(string prefix, params (string Property, string NameOrPath, string[] Placeholders)[] templates)
    {
        foreach (var (property, nameOrPath, placeholders) in templates)
        {
            string key = prefix + JsonNamingPolicy.SnakeCaseLower.ConvertName(property);
            string? problem = null;
            try
            {
                PromptTemplate.Load(nameOrPath).Require(placeholders);
            }
            catch (Exception e) when (e is FileNotFoundException or FormatException or ArgumentException)
            {
                problem = $"{key}: {e.Message}";
            }
            if (problem is not null) yield return problem;
        }
    }

    /// <summary>Pool or client examples rendered one after another with the example template.</summary>
    public static string Examples(PromptTemplate example, IEnumerable<(string Instruction, string Response)> pairs)
    {
        var text = new StringBuilder();
        foreach (var (instruction, response) in pairs)
        {
            var values = new Dictionary<string, string> { ["instruction"] = instruction };
            if (example.Placeholders.Contains("response")) values["response"] = response;
            text.Append(example.Render(values));
        }
        return text.ToString();
    }
}
