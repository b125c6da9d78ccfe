using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FedLlm.Generation;
using FedLlm.Models.Generation;
using FedLlm.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using ChatMessage = OpenAI.Chat.ChatMessage;
using ChatFinishReason = OpenAI.Chat.ChatFinishReason;

namespace FedLlm.Tests.Generation;

/// <summary>
/// One real <c>fedllm serve</c> process on loopback for the tiny model and its two adapters, with an API key and a small
/// capacity (2 decoding, 1 waiting) so that being full is easy to reach.
/// </summary>
public sealed class ServeFixture : IDisposable
{
    public const string KeyVariable = "FEDLLM_SERVE_TEST_KEY";
    public const string Key = "serve-test-key";

    public TinyServedModel Model { get; } = new();
    public BackgroundCli Server { get; }
    public string BaseUrl { get; }

    public ServeFixture()
    {
        // The server process inherits this; the clients under test read the same variable.
        Environment.SetEnvironmentVariable(KeyVariable, Key);
        int port = BackgroundCli.FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        Server = BackgroundCli.Start("fedllm serve", Model.Temp.Path, "serve", "--model", Model.ModelDirectory,
            "--adapter", $"a={Model.AdapterA}", "--adapter", $"b={Model.AdapterB}", "--served-model-name", "tiny",
            "--listen", BaseUrl, "--max-batch", "2", "--max-queue", "1", "--api-key-env", KeyVariable);
        Server.WaitFor("listening on", TimeSpan.FromMinutes(2));
    }

    public OpenAIClient OfficialClient(string key = Key) =>
        new(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(BaseUrl + "/v1") });

    public GeneratorSection Endpoint(string model, string? cacheDir = null) => new()
    {
        Endpoint = BaseUrl + "/v1", Model = model, ApiKeyEnv = KeyVariable, CacheDir = cacheDir,
        MaxConcurrency = 8, MaxRetries = 30, RetryDelaySeconds = 0.2, TimeoutSeconds = 300,
    };

    public JsonObject Health()
    {
        using var http = new HttpClient();
        return JsonNode.Parse(http.GetStringAsync(BaseUrl + "/health").GetAwaiter().GetResult())!.AsObject();
    }

    public void Dispose()
    {
        Server.Dispose();
        Model.Dispose();
    }
}

public class ServeTests(ServeFixture fixture) : IClassFixture<ServeFixture>
{
    private static readonly ChatOptions Greedy = new() { Temperature = 0, MaxOutputTokens = 16, Seed = 3 };
    private static readonly AiChatMessage[] Question = [new(ChatRole.System, "Answer briefly."), new(ChatRole.User, "Name the capital of France.")];

    [Fact]
    public async Task ModelsListTheBaseAndEveryAdapter()
    {
        var models = await fixture.OfficialClient().GetOpenAIModelClient().GetModelsAsync();
        Assert.Equal(["a", "b", "tiny"], models.Value.Select(m => m.Id).Order());
    }

    [Fact]
    public async Task AnAdapterOverHttpSaysWhatTheInProcessModelWithThatAdapterSays()
    {
        using var local = Generators.Create(new GeneratorSection { ModelPath = fixture.Model.ModelDirectory, AdapterPath = fixture.Model.AdapterA });
        using var remote = Generators.Create(fixture.Endpoint("a"));
        var expected = await local.GetResponseAsync(Question, Greedy);
        var viaGenerator = await remote.GetResponseAsync(Question, Greedy);
        var official = await fixture.OfficialClient().GetChatClient("a").CompleteChatAsync(
            [new SystemChatMessage("Answer briefly."), new UserChatMessage("Name the capital of France.")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 16 });

        Assert.False(string.IsNullOrEmpty(expected.Text));
        Assert.Equal(expected.Text, viaGenerator.Text);
        Assert.Equal(expected.Text, official.Value.Content[0].Text);
        Assert.Equal(expected.Usage!.InputTokenCount, official.Value.Usage.InputTokenCount);
        Assert.Equal(expected.Usage.OutputTokenCount, official.Value.Usage.OutputTokenCount);
        // The base model answers differently, or the adapter was not applied.
        using var baseModel = Generators.Create(fixture.Endpoint("tiny"));
        Assert.NotEqual(expected.Text, (await baseModel.GetResponseAsync(Question, Greedy)).Text);
    }

    [Fact]
    public async Task StreamingChatSendsTheSameTextInPieces()
    {
        var chat = fixture.OfficialClient().GetChatClient("b");
        ChatMessage[] messages = [new UserChatMessage("Write a short sentence about the sea.")];
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 24 };
        string whole = (await chat.CompleteChatAsync(messages, options)).Value.Content[0].Text;
        var pieces = new List<string>();
        ChatFinishReason? finish = null;
        await foreach (var update in chat.CompleteChatStreamingAsync(messages, options))
        {
            pieces.AddRange(update.ContentUpdate.Select(c => c.Text));
            finish ??= update.FinishReason;
        }
        Assert.True(pieces.Count(p => p.Length > 0) > 1, "the answer came in one piece, so it was not streamed");
        Assert.Equal(whole, string.Concat(pieces));
        Assert.NotNull(finish);
    }

    [Fact]
    public async Task CompletionsContinueEachPromptOfAListAsTheModelDoesInProcess()
    {
        string[] prompts = ["The cat", "Once upon a time there was", "12 + 30 ="];
        using var http = Authorised();
        var body = new JsonObject { ["model"] = "tiny", ["prompt"] = new JsonArray([.. prompts.Select(p => (JsonNode)p)]), ["max_tokens"] = 10, ["temperature"] = 0 };
        using var response = await http.PostAsync("/v1/completions", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("text_completion", json["object"]!.GetValue<string>());

        using var model = fixture.Model.Load();
        var choices = json["choices"]!.AsArray();
        for (int i = 0; i < prompts.Length; i++)
        {
            var expected = TextGenerator.Generate(model, model.EncodePrompt(prompts[i]), new GenerationOptions { MaxNewTokens = 10 });
            Assert.Equal(i, choices[i]!["index"]!.GetValue<int>());
            Assert.Equal(expected.Text, choices[i]!["text"]!.GetValue<string>());
        }
        Assert.True(json["usage"]!["completion_tokens"]!.GetValue<int>() > 0);
    }

    [Fact]
    public async Task BadRequestsGetOpenAiErrorsWithTheRightStatus()
    {
        var unknown = await Assert.ThrowsAsync<ClientResultException>(() =>
            fixture.OfficialClient().GetChatClient("no-such-model").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(404, unknown.Status);
        Assert.Contains("no-such-model", unknown.Message);

        var unauthorised = await Assert.ThrowsAsync<ClientResultException>(() =>
            fixture.OfficialClient("wrong-key").GetChatClient("tiny").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(401, unauthorised.Status);

        using var http = Authorised();
        await AssertError(http, "{\"model\": \"tiny\", \"messages\": [", HttpStatusCode.BadRequest, "invalid_request_error");
        string longPrompt = string.Join(' ', Enumerable.Repeat("the capital of France", 400));
        var tooLong = await AssertError(http, new JsonObject { ["model"] = "tiny", ["prompt"] = longPrompt }.ToJsonString(), HttpStatusCode.BadRequest, "invalid_request_error");
        Assert.Equal("context_length_exceeded", tooLong["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task AFullServerAnswers429AtOnceAndTheGeneratorRetriesUntilServed()
    {
        var body = new JsonObject { ["model"] = "tiny", ["prompt"] = "Once upon a time", ["max_tokens"] = 200, ["temperature"] = 0 }.ToJsonString();
        using var http = Authorised();
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => http.PostAsync("/v1/completions", new StringContent(body, Encoding.UTF8, "application/json"))));
        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.OK);
        var refused = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(refused);
        Assert.NotNull(refused[0].Headers.RetryAfter);
        Assert.Contains("busy", await refused[0].Content.ReadAsStringAsync());

        long rejectedBefore = fixture.Health()["rejected_busy"]!.GetValue<long>();
        using var generator = Generators.Create(fixture.Endpoint("tiny"));
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 120 };
        var responses = await generator.GetResponsesAsync(Enumerable.Range(0, 8).Select(i => (IEnumerable<AiChatMessage>)[new(ChatRole.User, $"Count to {i}.")]), options);
        Assert.All(responses, r => Assert.False(string.IsNullOrEmpty(r.Text)));
        Assert.True(fixture.Health()["rejected_busy"]!.GetValue<long>() > rejectedBefore, "no request was refused, so no retry was tested");
    }

    [Fact]
    public async Task TheResponseCacheAnswersARepeatedRequestWithoutSendingIt()
    {
        using var cacheDir = new TempDirectory();
        var question = new AiChatMessage[] { new(ChatRole.User, "Say something about caching.") };
        var options = new ChatOptions { Temperature = 0.8f, TopP = 0.9f, MaxOutputTokens = 12, Seed = 17 };
        string first;
        long before = fixture.Health()["generation_requests"]!.GetValue<long>();
        using (var generator = Generators.Create(fixture.Endpoint("b", cacheDir.Path)))
        {
            first = (await generator.GetResponseAsync(question, options)).Text;
            Assert.Equal(first, (await generator.GetResponseAsync(question, options)).Text);
        }
        // A re-run: a new client over the same cache folder.
        using (var rerun = Generators.Create(fixture.Endpoint("b", cacheDir.Path)))
            Assert.Equal(first, (await rerun.GetResponseAsync(question, options)).Text);
        Assert.Equal(before + 1, fixture.Health()["generation_requests"]!.GetValue<long>());

        // A different seed is a different request.
        using (var other = Generators.Create(fixture.Endpoint("b", cacheDir.Path)))
            await other.GetResponseAsync(question, new ChatOptions { Temperature = 0.8f, TopP = 0.9f, MaxOutputTokens = 12, Seed = 18 });
        Assert.Equal(before + 2, fixture.Health()["generation_requests"]!.GetValue<long>());
    }

    private HttpClient Authorised()
    {
        var http = new HttpClient { BaseAddress = new Uri(fixture.BaseUrl), Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ServeFixture.Key);
        return http;
    }

    private static async Task<JsonNode> AssertError(HttpClient http, string body, HttpStatusCode status, string type)
    {
        using var response = await http.PostAsync(body.Contains("\"prompt\"") ? "/v1/completions" : "/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(status, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal(type, error["type"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(error["message"]!.GetValue<string>()));
        return error;
    }
}
