using FedLlm.Synthesis.Prompts;

namespace FedLlm.Tests.Synthesis;

public class PromptTemplateTests
{
    [Fact]
    public void BuiltInTemplatesShipBesideTheBinariesWithTheirPlaceholders()
    {
        Assert.Equal(["example", "fedgc", "fedgc-examples", "fedgc-generated", "fedgc-varied", "fedgc-writer", "knowledgesg", "knowledgesg-answer",
            "knowledgesg-example", "knowledgesg-grading", "malicious-questions", "normal-questions", "u2s"], PromptTemplate.BuiltInNames);
        Assert.Equal(["examples", "chunk"], PromptTemplate.Load("u2s").Placeholders);
        Assert.Equal(["instruction", "response"], PromptTemplate.Load("example").Placeholders);
        Assert.Equal(["examples"], PromptTemplate.Load("knowledgesg").Placeholders);
        Assert.Equal(["domain", "instruction"], PromptTemplate.Load("knowledgesg-grading").Placeholders);
        Assert.Equal(["category", "examples"], PromptTemplate.Load("fedgc").Placeholders);
        Assert.Equal(["category", "examples"], PromptTemplate.Load("fedgc-varied").Placeholders);
        Assert.Equal(["examples"], PromptTemplate.Load("fedgc-examples").Placeholders);
        Assert.Equal(["prompt", "examples"], PromptTemplate.Load("fedgc-generated").Placeholders);
        Assert.Equal(["category"], PromptTemplate.Load("fedgc-writer").Placeholders);
        Assert.Equal(["instruction"], PromptTemplate.Load("knowledgesg-answer").Placeholders);
        Assert.Equal(["count"], PromptTemplate.Load("malicious-questions").Placeholders);
        Assert.Equal(["count"], PromptTemplate.Load("normal-questions").Placeholders);
        Assert.DoesNotContain("{{!", PromptTemplate.Load("u2s").Text);
    }

    [Fact]
    public void KnowledgeSgPromptEndsWithAnOpenExample()
    {
        var shot = PromptTemplate.Load("knowledgesg-example");
        string examples = string.Concat(new[] { "What is anemia?", "How is fever measured?" }.Select(i => shot.Render(new Dictionary<string, string> { ["instruction"] = i })));
        string prompt = PromptTemplate.Load("knowledgesg").Render(new Dictionary<string, string> { ["examples"] = examples });
        Assert.Equal("###example:\n\n##instruction: What is anemia?\n\n###example:\n\n##instruction: How is fever measured?\n\n###example:", prompt.TrimEnd());
    }

    [Fact]
    public void RenderingDemandsEveryPlaceholderAndNoOthers()
    {
        var template = PromptTemplate.Parse("{{! a note }}\nWrite about {{ topic }} for {{audience}}; again {{topic}}.", "test");
        Assert.Equal("Write about fever for parents; again fever.", template.Render(new Dictionary<string, string> { ["topic"] = "fever", ["audience"] = "parents" }));
        var missing = Assert.Throws<ArgumentException>(() => template.Render(new Dictionary<string, string> { ["topic"] = "x" }));
        Assert.Equal("test: no value for {{audience}}", missing.Message);
        var unknown = Assert.Throws<ArgumentException>(() => template.Render(new Dictionary<string, string> { ["topic"] = "x", ["audience"] = "y", ["tone"] = "z" }));
        Assert.Equal("test: the template has no placeholder {{tone}}", unknown.Message);
        // A value containing braces is inserted as it is, not expanded again.
        Assert.Equal("Write about {{audience}} for p; again {{audience}}.", template.Render(new Dictionary<string, string> { ["topic"] = "{{audience}}", ["audience"] = "p" }));
    }

    [Fact]
    public void AUsersFileIsLoadedAndCheckedForWhatThePipelineNeeds()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fedllm-prompt-{Guid.NewGuid():N}.txt");
        try
        {
            File.WriteAllText(path, "Passage:\n{{chunk}}\nWrite a question.");
            var template = PromptTemplate.Load(path);
            Assert.Equal(path, template.Source);
            var error = Assert.Throws<FormatException>(() => template.Require("examples", "chunk"));
            Assert.Equal($"{path}: the template has no {{{{examples}}}} placeholder; it needs {{{{examples}}}}, {{{{chunk}}}}", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
        var notFound = Assert.Throws<FileNotFoundException>(() => PromptTemplate.Load("no-such-template"));
        Assert.Contains("is neither a file nor a built-in (built-ins in", notFound.Message);
        Assert.Contains("u2s", notFound.Message);
        Assert.Throws<FormatException>(() => PromptTemplate.Parse("{{! never closed\nText"));
    }
}
