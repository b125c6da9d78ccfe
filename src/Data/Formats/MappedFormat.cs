using System.Text.Json;
using FedLlm.Data.Model;

namespace FedLlm.Data.Formats;

/// <summary>Records whose fields a <see cref="ColumnMapping"/> names.</summary>
internal static class MappedFormat
{
    public static Example Convert(JsonElement record, ExampleMetadata metadata, ColumnMapping mapping, ConversionOptions options)
    {
        string? system = mapping.System is null ? null : JsonFields.OptionalString(record, mapping.System);
        if (mapping.Chosen is not null || mapping.Rejected is not null)
        {
            // ColumnMapping.Validate guarantees chosen, rejected and a prompt column are all named here.
            return PreferenceFormat.Convert(record, metadata, (mapping.Conversations ?? mapping.Prompt)!, mapping.Chosen!, mapping.Rejected!, mapping.System);
        }
        if (mapping.Conversations is not null)
        {
            string field = mapping.Conversations;
            var conversation = MessageListParser.Build(MessageListParser.ParseMessages(JsonFields.Require(record, field), field), system, field);
            InstructionFormats.RequireTrainableResponse(conversation, field);
            return new InstructionExample(conversation, metadata);
        }
        if (mapping.Prompt is not null)
        {
            string prompt = JsonFields.RequireStringOrLines(record, mapping.Prompt);
            if (string.IsNullOrWhiteSpace(prompt)) throw new RecordConversionException($"field '{mapping.Prompt}' is empty");
            string? input = mapping.Input is null || !JsonFields.Has(record, mapping.Input) ? null : JsonFields.RequireStringOrLines(record, mapping.Input);
            if (!string.IsNullOrWhiteSpace(input)) prompt += options.AlpacaInputSeparator + input;
            // Without a response column the example is a prompt (evaluation sets); with one, an empty response is a bad row.
            string? response = mapping.Response is null ? null : JsonFields.RequireString(record, mapping.Response, allowEmpty: false);
            return new InstructionExample(Conversation.SingleTurn(prompt, response, system), metadata);
        }
        if (mapping.Text is not null)
        {
            // Arrays of strings are joined with "\n", as for prompts (PubMedQA's CONTEXTS: raw abstract text).
            string text = JsonFields.RequireStringOrLines(record, mapping.Text);
            if (string.IsNullOrWhiteSpace(text)) throw new RecordConversionException($"field '{mapping.Text}' is empty");
            return new TextExample(text, metadata);
        }
        throw new InvalidOperationException("Unreachable: ColumnMapping.Validate rejects mappings without content columns.");
    }
}
