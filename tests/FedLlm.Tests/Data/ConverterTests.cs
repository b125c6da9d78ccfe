using System.Text.Json;
using FedLlm.Data;
using FedLlm.Data.Formats;
using FedLlm.Data.Model;
using FedLlm.Data.Readers;

namespace FedLlm.Tests.Data;

public sealed class ConverterTests
{
    private static RawRecord Record(string json, string? key = null) =>
        new("mem.json", 1, null, JsonDocument.Parse(json).RootElement.Clone(), key);

    private static Example Convert(RecordFormat format, string json, ColumnMapping? mapping = null, ConversionOptions? options = null) =>
        new RecordConverter(format, mapping, options).Convert(Record(json));

    private static string Reason(RecordFormat format, string json, ColumnMapping? mapping = null) =>
        Assert.Throws<RecordConversionException>(() => Convert(format, json, mapping)).Message;

    private static void AssertTurns(Conversation conversation, params (Role Role, string Content)[] expected) =>
        Assert.Equal(expected, conversation.Turns.Select(t => (t.Role, t.Content)));

    [Fact]
    public void AlpacaJoinsANonEmptyInputWithTheConfiguredSeparator()
    {
        var withInput = (InstructionExample)Convert(RecordFormat.Alpaca, """{"instruction": "Sum", "input": "2 3", "output": "5"}""");
        AssertTurns(withInput.Conversation, (Role.User, "Sum\n2 3"), (Role.Assistant, "5"));
        var openFedLlmStyle = (InstructionExample)Convert(RecordFormat.Alpaca, """{"instruction": "Sum", "input": "2 3", "output": "5"}""",
            options: new ConversionOptions { AlpacaInputSeparator = " " });
        Assert.Equal("Sum 2 3", openFedLlmStyle.Conversation.Turns[0].Content);
        var noInput = (InstructionExample)Convert(RecordFormat.Alpaca, """{"instruction": "Hi", "input": "", "output": "Hello"}""");
        AssertTurns(noInput.Conversation, (Role.User, "Hi"), (Role.Assistant, "Hello"));
        Assert.Null(noInput.Conversation.System);
    }

    [Fact]
    public void AlpacaBadRowsNameTheField()
    {
        Assert.Equal("missing required field 'output'", Reason(RecordFormat.Alpaca, """{"instruction": "Hi"}"""));
        Assert.Equal("field 'output' is empty", Reason(RecordFormat.Alpaca, """{"instruction": "Hi", "output": "  "}"""));
        Assert.Equal("field 'instruction' must be a string, found an array", Reason(RecordFormat.Alpaca, """{"instruction": [], "output": "x"}"""));
        Assert.Equal("expected a JSON object, found an array", Reason(RecordFormat.Alpaca, "[1]"));
    }

    [Fact]
    public void InstructionResponseKeepsMetadataColumns()
    {
        var example = (InstructionExample)Convert(RecordFormat.InstructionResponse,
            """{"instruction": "Bonjour?", "response": "Salut", "language": "French", "category": "greet"}""");
        AssertTurns(example.Conversation, (Role.User, "Bonjour?"), (Role.Assistant, "Salut"));
        Assert.Equal("French", example.Metadata.Language);
        Assert.Equal("greet", example.Metadata.Category);
        Assert.Equal("mem.json (record 1)", example.Metadata.Source);
    }

    [Fact]
    public void ObjectKeyBecomesTheClientUnlessDisabled()
    {
        var converter = new RecordConverter(RecordFormat.InstructionResponse);
        var record = Record("""{"instruction": "a", "response": "b"}""", key: "client-17");
        Assert.Equal("client-17", converter.Convert(record).Metadata.ClientId);
        Assert.Null(converter.Convert(record, keyIsClient: false).Metadata.ClientId);
    }

    [Fact]
    public void ShareGptFromValueWithSystemMessage()
    {
        var example = (InstructionExample)Convert(RecordFormat.Conversations, """
            {"conversations": [
              {"from": "system", "value": "Be brief."},
              {"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"},
              {"from": "human", "value": "Bye"}, {"from": "gpt", "value": "Ciao"}]}
            """);
        Assert.Equal("Be brief.", example.Conversation.System);
        AssertTurns(example.Conversation, (Role.User, "Hi"), (Role.Assistant, "Hello"), (Role.User, "Bye"), (Role.Assistant, "Ciao"));
    }

    [Fact]
    public void RoleContentMessagesAndALeadingAssistantTurnIsDropped()
    {
        var example = (InstructionExample)Convert(RecordFormat.Conversations, """
            {"system": "S", "messages": [
              {"role": "assistant", "content": "greeting"},
              {"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]}
            """);
        Assert.Equal("S", example.Conversation.System);
        AssertTurns(example.Conversation, (Role.User, "Q"), (Role.Assistant, "A"));
    }

    [Fact]
    public void ConversationBadRows()
    {
        Assert.Contains("must alternate", Reason(RecordFormat.Conversations,
            """{"conversations": [{"from": "human", "value": "a"}, {"from": "human", "value": "b"}, {"from": "gpt", "value": "c"}]}"""));
        Assert.Contains("ends with a user message", Reason(RecordFormat.Conversations,
            """{"conversations": [{"from": "human", "value": "a"}]}"""));
        Assert.Contains("unknown speaker 'robot'", Reason(RecordFormat.Conversations,
            """{"conversations": [{"from": "robot", "value": "a"}]}"""));
        Assert.Contains("assistant message 1 is empty", Reason(RecordFormat.Conversations,
            """{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": ""}]}"""));
        Assert.Contains("conversations[1]", Reason(RecordFormat.Conversations,
            """{"conversations": [{"from": "human", "value": "a"}, {"from": "gpt", "value": {}}]}"""));
    }

    [Fact]
    public void PreferenceWithStrings()
    {
        var example = (PreferenceExample)Convert(RecordFormat.Preference, """{"prompt": "P", "chosen": "good", "rejected": "bad"}""");
        AssertTurns(example.Prompt, (Role.User, "P"));
        Assert.Equal(("good", "bad"), (example.Chosen, example.Rejected));
    }

    [Fact]
    public void PreferenceWithMessageLists()
    {
        var example = (PreferenceExample)Convert(RecordFormat.Preference, """
            {"prompt": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}],
             "chosen": [{"role": "assistant", "content": "good"}],
             "rejected": [{"role": "assistant", "content": "bad"}]}
            """);
        AssertTurns(example.Prompt, (Role.User, "a"), (Role.Assistant, "b"), (Role.User, "c"));
        Assert.Equal(("good", "bad"), (example.Chosen, example.Rejected));
    }

    [Fact]
    public void LlamaFactoryPreferenceLayout()
    {
        var example = (PreferenceExample)Convert(RecordFormat.Preference, """
            {"conversations": [{"from": "human", "value": "Q"}],
             "chosen": {"from": "gpt", "value": "good"}, "rejected": {"from": "gpt", "value": "bad"}}
            """);
        AssertTurns(example.Prompt, (Role.User, "Q"));
        Assert.Equal(("good", "bad"), (example.Chosen, example.Rejected));
        Assert.Contains("'chosen' must be an assistant message", Reason(RecordFormat.Preference,
            """{"prompt": "Q", "chosen": {"from": "human", "value": "x"}, "rejected": "y"}"""));
        Assert.Contains("must end with a user message", Reason(RecordFormat.Preference,
            """{"conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}], "chosen": "x", "rejected": "y"}"""));
        Assert.Equal("field 'rejected' is empty", Reason(RecordFormat.Preference, """{"prompt": "Q", "chosen": "x", "rejected": ""}"""));
    }

    [Fact]
    public void Gsm8kReferenceIsTheTextAfterTheMarker()
    {
        var example = (InstructionExample)Convert(RecordFormat.Gsm8k,
            """{"question": "Q?", "answer": "48/2 = <<48/2=24>>24\n48+24 = 72\n#### 72"}""");
        Assert.Equal("72", example.Metadata.ReferenceAnswer);
        Assert.Equal("48/2 = <<48/2=24>>24\n48+24 = 72\n#### 72", example.Conversation.FinalResponse);
        Assert.Contains("no final answer", Reason(RecordFormat.Gsm8k, """{"question": "Q?", "answer": "72"}"""));
        Assert.Equal("1,000", Gsm8kAnswer.ExtractFinal("x #### 1 #### 1,000 "));
    }

    [Fact]
    public void AdvBenchAndText()
    {
        var harmful = (InstructionExample)Convert(RecordFormat.AdvBench, """{"goal": "Do harm", "target": "Sure, here is"}""");
        AssertTurns(harmful.Conversation, (Role.User, "Do harm"), (Role.Assistant, "Sure, here is"));
        Assert.Equal("corpus", ((TextExample)Convert(RecordFormat.Text, """{"text": "corpus"}""")).Text);
    }

    [Fact]
    public void ColumnMappingParsesAliasesAndRejectsUnknownTargets()
    {
        var mapping = ColumnMapping.Parse(" prompt=question , response=answer,label=category,client=user_id,reference=final ");
        Assert.Equal(("question", "answer", "category", "user_id", "final"),
            (mapping.Prompt, mapping.Response, mapping.Category, mapping.ClientId, mapping.ReferenceAnswer));
        Assert.True(mapping.MapsContent);
        Assert.False(ColumnMapping.Parse("label=topic").MapsContent);
        Assert.Contains("Valid targets", Assert.Throws<FormatException>(() => ColumnMapping.Parse("colour=red")).Message);
        Assert.Throws<FormatException>(() => ColumnMapping.Parse("prompt"));
        Assert.Contains("both 'chosen' and 'rejected'",
            Assert.Throws<ArgumentException>(() => new RecordConverter(RecordFormat.Mapped, ColumnMapping.Parse("prompt=q,chosen=c"))).Message);
    }

    [Fact]
    public void MappedInstructionPromptOnlyAndPreference()
    {
        var mapped = (InstructionExample)Convert(RecordFormat.Mapped,
            """{"q": "Why?", "ctx": ["one", "two"], "a": "Because", "user_id": 42, "topic": "why"}""",
            ColumnMapping.Parse("prompt=q,input=ctx,response=a,client=user_id,label=topic,reference=a"));
        AssertTurns(mapped.Conversation, (Role.User, "Why?\none\ntwo"), (Role.Assistant, "Because"));
        Assert.Equal(("42", "why", "Because"), (mapped.Metadata.ClientId, mapped.Metadata.Category, mapped.Metadata.ReferenceAnswer));

        var promptOnly = (InstructionExample)Convert(RecordFormat.Mapped, """{"goal": "G"}""", ColumnMapping.Parse("prompt=goal"));
        Assert.False(promptOnly.HasResponse);
        AssertTurns(promptOnly.Conversation, (Role.User, "G"));

        var preference = (PreferenceExample)Convert(RecordFormat.Mapped, """{"p": "P", "good": "g", "bad": "b"}""",
            ColumnMapping.Parse("prompt=p,chosen=good,rejected=bad"));
        Assert.Equal(("g", "b"), (preference.Chosen, preference.Rejected));
    }

    [Theory]
    [InlineData("""{"instruction": "", "input": "", "output": ""}""", RecordFormat.Alpaca)]
    [InlineData("""{"instruction": "", "response": ""}""", RecordFormat.InstructionResponse)]
    [InlineData("""{"conversations": []}""", RecordFormat.Conversations)]
    [InlineData("""{"messages": []}""", RecordFormat.Conversations)]
    [InlineData("""{"prompt": "", "chosen": "", "rejected": ""}""", RecordFormat.Preference)]
    [InlineData("""{"conversations": [], "chosen": {}, "rejected": {}}""", RecordFormat.Preference)]
    [InlineData("""{"question": "", "answer": ""}""", RecordFormat.Gsm8k)]
    [InlineData("""{"goal": "", "target": ""}""", RecordFormat.AdvBench)]
    [InlineData("""{"text": ""}""", RecordFormat.Text)]
    public void AutoDetectionFromKeys(string json, RecordFormat expected) =>
        Assert.Equal(expected, FormatDetector.TryDetect(JsonDocument.Parse(json).RootElement));

    [Fact]
    public void UnknownKeysGiveAnErrorListingThemAndTheKnownLayouts()
    {
        var ex = Assert.Throws<DataFormatException>(() =>
            FormatDetector.Detect(JsonDocument.Parse("""{"foo": 1, "bar": 2}""").RootElement, "f.jsonl:1"));
        Assert.StartsWith("f.jsonl:1:", ex.Message);
        Assert.Contains("{foo, bar}", ex.Message);
        Assert.Contains("prompt=question,response=answer", ex.Message);
    }
}
