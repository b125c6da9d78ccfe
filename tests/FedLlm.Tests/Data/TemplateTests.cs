using FedLlm.Data.Model;
using FedLlm.Data.Templates;

namespace FedLlm.Tests.Data;

public sealed class TemplateTests
{
    private static readonly Conversation SingleExchange = Conversation.SingleTurn("Name a colour.", "Blue.");

    private static readonly Conversation MultiTurn = new(
        [new Turn(Role.User, "Hi"), new Turn(Role.Assistant, "Hello!"), new Turn(Role.User, "2+2?"), new Turn(Role.Assistant, "4")],
        system: "SYS");

    [Theory]
    [InlineData("alpaca",
        "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n" +
        "### Instruction:\nName a colour. \n\n### Response: Blue.</s>")]
    [InlineData("vicuna_v1.1",
        "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite " +
        "answers to the user's questions. USER: Name a colour. ASSISTANT: Blue.</s>")]
    [InlineData("chatml", "<|im_start|>user\nName a colour.<|im_end|>\n<|im_start|>assistant\nBlue.<|im_end|>\n")]
    [InlineData("llama-3",
        "<|start_header_id|>user<|end_header_id|>\n\nName a colour.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nBlue.<|eot_id|>")]
    public void SingleExchangeRendersExactly(string name, string expected)
    {
        var template = TemplateRegistry.Get(name);
        var rendered = template.Render(SingleExchange);
        Assert.Equal(expected, rendered.Text);
        var span = Assert.Single(rendered.ResponseSpans);
        Assert.Equal("Blue." + template.EndOfTurn, rendered.Text.Substring(span.Start, span.Length));
    }

    [Fact]
    public void PlainTemplateUsesTheModelsSpecialTokens()
    {
        var template = TemplateRegistry.Get("plain", endOfTurn: "</s>", bos: "<s>");
        Assert.Equal("<s>Name a colour.\nBlue.</s>\n", template.Render(SingleExchange).Text);
        Assert.Contains("EOS", Assert.Throws<ArgumentException>(() => TemplateRegistry.Get("plain")).Message);
    }

    public static TheoryData<string, string?, string?, (string Text, bool IsResponse)[]> MultiTurnLayouts => new()
    {
        {
            "alpaca", null, null,
            [("SYS\n\n### Instruction:\nHi \n\n### Response: ", false), ("Hello!</s>", true),
             ("\n\n### Instruction:\n2+2? \n\n### Response: ", false), ("4</s>", true)]
        },
        {
            "vicuna_v1.1", null, null,
            [("SYS USER: Hi ASSISTANT: ", false), ("Hello!</s>", true), ("USER: 2+2? ASSISTANT: ", false), ("4</s>", true)]
        },
        {
            "chatml", null, null,
            [("<|im_start|>system\nSYS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", false), ("Hello!<|im_end|>", true),
             ("\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n", false), ("4<|im_end|>", true), ("\n", false)]
        },
        {
            "llama-3", null, "<|begin_of_text|>",
            [("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nSYS<|eot_id|>" +
              "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", false),
             ("Hello!<|eot_id|>", true),
             ("<|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", false),
             ("4<|eot_id|>", true)]
        },
        {
            "plain", "<EOS>", "<BOS>",
            [("<BOS>SYS\nHi\n", false), ("Hello!<EOS>", true), ("\n2+2?\n", false), ("4<EOS>", true), ("\n", false)]
        },
        {
            "vicuna", "<|end|>", null,
            [("SYS USER: Hi ASSISTANT: ", false), ("Hello!<|end|>", true), ("USER: 2+2? ASSISTANT: ", false), ("4<|end|>", true)]
        },
    };

    [Theory]
    [MemberData(nameof(MultiTurnLayouts))]
    public void EveryCharacterIsInsideASpanIffItIsAssistantContentOrItsEndMarker(
        string name, string? endOfTurn, string? bos, (string Text, bool IsResponse)[] segments)
    {
        var rendered = TemplateRegistry.Get(name, endOfTurn, bos).Render(MultiTurn);
        Assert.Equal(string.Concat(segments.Select(s => s.Text)), rendered.Text);
        var expectedMask = segments.SelectMany(s => Enumerable.Repeat(s.IsResponse, s.Text.Length)).ToArray();
        var actualMask = Enumerable.Range(0, rendered.Text.Length).Select(rendered.IsResponse).ToArray();
        Assert.Equal(expectedMask, actualMask);
        Assert.Equal(segments.Count(s => s.IsResponse), rendered.ResponseSpans.Count);
    }

    [Theory]
    [InlineData("alpaca", "### Response: ")]
    [InlineData("vicuna_v1.1", "ASSISTANT:")]
    [InlineData("chatml", "<|im_start|>assistant\n")]
    [InlineData("llama-3", "<|start_header_id|>assistant<|end_header_id|>\n\n")]
    public void GenerationPromptEndsWithTheAssistantHeaderAndContinuesIntoTheFullText(string name, string header)
    {
        var template = TemplateRegistry.Get(name);
        string prompt = template.RenderPrompt(MultiTurn.WithoutFinalResponse());
        Assert.EndsWith(header, prompt);
        Assert.StartsWith(prompt + template.RenderContinuation("4"), template.Render(MultiTurn).Text);
        Assert.Throws<ArgumentException>(() => template.RenderPrompt(MultiTurn));
    }

    [Fact]
    public void VicunaGenerationPromptMatchesFastChat()
    {
        string prompt = TemplateRegistry.Get("vicuna_v1.1").RenderPrompt(Conversation.SingleTurn("Hello", null, system: "S"));
        Assert.Equal("S USER: Hello ASSISTANT:", prompt);
    }

    [Theory]
    [InlineData("alpaca")]
    [InlineData("vicuna_v1.1")]
    [InlineData("chatml")]
    [InlineData("llama-3")]
    public void PreferenceRenderingConcatenatesToTheChosenConversation(string name)
    {
        var template = TemplateRegistry.Get(name);
        var prompt = MultiTurn.WithoutFinalResponse();
        var preference = template.RenderPreference(new PreferenceExample(prompt, "four", "five", ExampleMetadata.None));
        Assert.Equal(template.RenderPrompt(prompt), preference.Prompt);
        Assert.EndsWith("four" + template.EndOfTurn, preference.Chosen);
        Assert.EndsWith("five" + template.EndOfTurn, preference.Rejected);
        Assert.StartsWith(preference.Prompt + preference.Chosen, template.Render(prompt.WithResponse("four")).Text);
        Assert.StartsWith(preference.Prompt + preference.Rejected, template.Render(prompt.WithResponse("five")).Text);
    }

    [Fact]
    public void PromptOnlyConversationRendersWithoutSpans()
    {
        var rendered = TemplateRegistry.Get("chatml").Render(Conversation.SingleTurn("Q", null));
        Assert.Equal("<|im_start|>user\nQ<|im_end|>\n", rendered.Text);
        Assert.Empty(rendered.ResponseSpans);
    }

    [Fact]
    public void RegistryNamesAliasesAndErrors()
    {
        Assert.Equal(["alpaca", "vicuna_v1.1", "chatml", "llama-3", "plain"], TemplateRegistry.Names.Names);
        Assert.IsType<Llama3Template>(TemplateRegistry.Get("Llama3"));
        Assert.IsType<VicunaTemplate>(TemplateRegistry.Get(" VICUNA "));
        Assert.Equal("<|im_end|>", TemplateRegistry.Get("chatml").EndOfTurn);
        var ex = Assert.Throws<ArgumentException>(() => TemplateRegistry.Get("mistral"));
        Assert.Contains("'mistral'", ex.Message);
        Assert.Contains("alpaca, vicuna_v1.1, chatml, llama-3, plain", ex.Message);
    }

    [Fact]
    public void ConversationEnforcesAlternationStartingWithTheUser()
    {
        Assert.Throws<ArgumentException>(() => new Conversation([new Turn(Role.Assistant, "a")]));
        Assert.Throws<ArgumentException>(() => new Conversation([new Turn(Role.User, "a"), new Turn(Role.User, "b")]));
        Assert.Throws<ArgumentException>(() => new Conversation([new Turn(Role.System, "s"), new Turn(Role.User, "b")]));
        Assert.Throws<ArgumentException>(() => new Conversation([]));
        Assert.Throws<ArgumentException>(() => new PreferenceExample(SingleExchange, "c", "r", ExampleMetadata.None));
    }
}
