using FedLlm.Data.Model;
using FedLlm.Data.Templates;
using FedLlm.Training.Examples;

namespace FedLlm.Tests.Training;

public class ExampleTokenizerTests
{
    private static readonly Conversation MultiTurn = new(
    [
        new Turn(Role.User, "add: 2 + 3"),
        new Turn(Role.Assistant, "5"),
        new Turn(Role.User, "and 4 + 4?"),
        new Turn(Role.Assistant, "8, easy."),
    ], system: "Be brief.");

    [Theory]
    [InlineData("vicuna_v1.1")]
    [InlineData("chatml")]
    [InlineData("alpaca")]
    [InlineData("llama-3")]
    public void EveryPositionIsTrainedExactlyWhenItsCharacterBelongsToAnAssistantTurn(string templateName)
    {
        var tokenizer = TestTokenizers.CharacterLevel();
        var template = TemplateRegistry.Get(templateName, endOfTurn: "</s>");
        var rendered = template.Render(MultiTurn);
        var example = new ExampleTokenizer(tokenizer, template, maxLength: 4096, bosId: 1).Tokenize(MultiTurn)!;

        // With one token per character (and "</s>" as one special token), walk the text and the labels together.
        Assert.Equal(TokenizedExample.IgnoreLabel, example.Labels[0]); // BOS
        int position = 1;
        for (int c = 0; c < rendered.Text.Length; position++)
        {
            bool special = string.CompareOrdinal(rendered.Text, c, "</s>", 0, 4) == 0;
            int width = special ? 4 : 1;
            bool expectTrained = rendered.IsResponse(c);
            Assert.True(expectTrained == (example.Labels[position] != TokenizedExample.IgnoreLabel),
                $"{templateName}: char {c} ('{rendered.Text[c]}') trained={!expectTrained}");
            if (expectTrained) Assert.Equal(example.InputIds[position], example.Labels[position]);
            c += width;
        }
        Assert.Equal(example.Length, position);
        // Both answers and both end-of-turn markers are trained; nothing of the user turns is.
        Assert.Equal("5".Length + "8, easy.".Length + 2, example.TrainedTokens);
    }

    [Fact]
    public void TruncationDropsOldPromptTokensBeforeEverDroppingTheResponse()
    {
        var tokenizer = TestTokenizers.CharacterLevel();
        var template = TemplateRegistry.Get("chatml", endOfTurn: "</s>");
        var longPrompt = Conversation.SingleTurn(new string('x', 300), "short answer");
        var builder = new ExampleTokenizer(tokenizer, template, maxLength: 64, bosId: 1);

        var example = builder.Tokenize(longPrompt)!;

        Assert.Equal(64, example.Length);
        Assert.Equal(1, example.InputIds[0]); // BOS kept
        Assert.Equal("short answer".Length + 1, example.TrainedTokens); // whole answer + end of turn survive
        Assert.Equal(1, builder.Truncated);
    }

    [Fact]
    public void AConversationWithoutAnswerIsDroppedAndCounted()
    {
        var builder = new ExampleTokenizer(TestTokenizers.CharacterLevel(), TemplateRegistry.Get("chatml", endOfTurn: "</s>"), 128, 1);
        Assert.Null(builder.Tokenize(Conversation.SingleTurn("question only", null)));
        Assert.Equal(1, builder.Dropped);
    }
}
