using System.Text.Json;
using FedLlm.Data.Model;

namespace FedLlm.Data.Formats;

/// <summary>Single-turn instruction layouts: Alpaca, {instruction, response}, GSM8K and AdvBench.</summary>
internal static class InstructionFormats
{
    public static InstructionExample Alpaca(JsonElement record, ExampleMetadata metadata, ConversionOptions options)
    {
        string instruction = JsonFields.RequireString(record, "instruction", allowEmpty: false);
        string input = JsonFields.OptionalString(record, "input") ?? "";
        string prompt = string.IsNullOrWhiteSpace(input) ? instruction : instruction + options.AlpacaInputSeparator + input;
        string output = JsonFields.RequireString(record, "output", allowEmpty: false);
        return new InstructionExample(Conversation.SingleTurn(prompt, output, JsonFields.OptionalString(record, "system")), metadata);
    }

    public static InstructionExample InstructionResponse(JsonElement record, ExampleMetadata metadata) =>
        new(Conversation.SingleTurn(
                JsonFields.RequireString(record, "instruction", allowEmpty: false),
                JsonFields.RequireString(record, "response", allowEmpty: false),
                JsonFields.OptionalString(record, "system")),
            metadata);

    /// <summary>The response keeps GSM8K's worked solution (with its "&lt;&lt;calc&gt;&gt;" annotations); the reference is the final number.</summary>
    public static InstructionExample Gsm8k(JsonElement record, ExampleMetadata metadata)
    {
        string question = JsonFields.RequireString(record, "question", allowEmpty: false);
        string answer = JsonFields.RequireString(record, "answer", allowEmpty: false);
        string final = Gsm8kAnswer.ExtractFinal(answer)
            ?? throw new RecordConversionException("field 'answer' has no final answer after '#### '");
        return new InstructionExample(Conversation.SingleTurn(question, answer), metadata with { ReferenceAnswer = metadata.ReferenceAnswer ?? final });
    }

    public static InstructionExample AdvBench(JsonElement record, ExampleMetadata metadata) =>
        new(Conversation.SingleTurn(
                JsonFields.RequireString(record, "goal", allowEmpty: false),
                JsonFields.RequireString(record, "target", allowEmpty: false)),
            metadata);

    public static InstructionExample Conversations(JsonElement record, ExampleMetadata metadata)
    {
        string field = record.TryGetProperty("conversations", out _) ? "conversations" : "messages";
        var conversation = MessageListParser.Build(
            MessageListParser.ParseMessages(JsonFields.Require(record, field), field), JsonFields.OptionalString(record, "system"), field);
        RequireTrainableResponse(conversation, field);
        return new InstructionExample(conversation, metadata);
    }

    public static void RequireTrainableResponse(Conversation conversation, string field)
    {
        if (!conversation.EndsWithAssistant)
            throw new RecordConversionException($"'{field}' ends with a user message (no response to learn)");
        for (int i = 1; i < conversation.Turns.Count; i += 2)
        {
            if (string.IsNullOrWhiteSpace(conversation.Turns[i].Content))
                throw new RecordConversionException($"'{field}': assistant message {i} is empty");
        }
    }
}
