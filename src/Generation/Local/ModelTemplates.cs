using System.Text.Json;
using FedLlm.Data.Templates;
using FedLlm.Models;

namespace FedLlm.Generation.Local;

/// <summary>
/// The chat template a model is prompted with. "auto" takes the model's own: the chat_template of its
/// tokenizer_config.json (or chat_template.jinja) when it is one of FedLlm's named layouts, recognised by its markers
/// (Jinja itself is not run); otherwise alpaca, the layout FedLlm trains with by default.
/// </summary>
public static class ModelTemplates
{
    public const string Auto = "auto";

    /// <summary>The template for <paramref name="name"/> (or "auto"), with the model's EOS as end of turn, exactly as training renders it.</summary>
    public static ChatTemplate Resolve(PretrainedModel model, string name)
    {
        string chosen = name.Trim().Equals(Auto, StringComparison.OrdinalIgnoreCase) ? Detect(model.Directory) ?? TemplateRegistry.Alpaca : name;
        return TemplateRegistry.Get(chosen, endOfTurn: model.EndOfTurnToken);
    }

    /// <summary>The named template a model folder's own chat template matches, or null when it has none we recognise.</summary>
    public static string? Detect(string modelDirectory)
    {
        string? source = ReadChatTemplate(modelDirectory);
        if (source is null) return null;
        if (source.Contains("<|im_start|>", StringComparison.Ordinal)) return TemplateRegistry.ChatMl;
        if (source.Contains("<|start_header_id|>", StringComparison.Ordinal)) return TemplateRegistry.Llama3;
        if (source.Contains("### Instruction", StringComparison.Ordinal)) return TemplateRegistry.Alpaca;
        if (source.Contains("USER:", StringComparison.Ordinal) && source.Contains("ASSISTANT:", StringComparison.Ordinal)) return TemplateRegistry.Vicuna;
        return null;
    }

    private static string? ReadChatTemplate(string directory)
    {
        string jinja = Path.Combine(directory, "chat_template.jinja");
        if (File.Exists(jinja)) return File.ReadAllText(jinja);
        string config = Path.Combine(directory, "tokenizer_config.json");
        if (!File.Exists(config)) return null;
        using var document = JsonDocument.Parse(File.ReadAllText(config));
        if (!document.RootElement.TryGetProperty("chat_template", out var template)) return null;
        return template.ValueKind switch
        {
            JsonValueKind.String => template.GetString(),
            // A list of named templates: the default one is the chat template.
            JsonValueKind.Array => template.EnumerateArray()
                .Where(t => t.TryGetProperty("name", out var n) && n.GetString() == "default" && t.TryGetProperty("template", out _))
                .Select(t => t.GetProperty("template").GetString()).FirstOrDefault(),
            _ => null,
        };
    }
}
